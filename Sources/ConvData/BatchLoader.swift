/// Turns an image set into batches: shuffled per epoch, augmented, normalised to floats.
///
/// Everything is a pure function of the seed, the epoch and the position within the epoch, so
/// batch `b` of epoch `e` is the same whether it is loaded in order, alone, or after a resume.
public struct BatchLoader: Sendable {
    public let images: ImageSet
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let augmentation: Augmentation
    public let normalization: Normalization
    /// 256 floats per channel: the normalised value of each byte.
    private let tables: [Float]

    public init(
        images: ImageSet, batchSize: Int, shuffle: Bool, seed: UInt64,
        augmentation: Augmentation, normalization: Normalization
    ) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(normalization.mean.count == images.dimensions.channels, "one normalisation per channel")
        self.images = images
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.augmentation = augmentation
        self.normalization = normalization
        tables = (0..<images.dimensions.channels).flatMap { normalization.table(channel: $0) }
    }

    /// Batches per epoch, counting a last partial batch.
    public var batchesPerEpoch: Int { (images.count + batchSize - 1) / batchSize }

    /// The order in which epoch `epoch` visits the images (indices into `images`).
    public func order(epoch: Int) -> [Int32] {
        var order = (0..<Int32(images.count)).map { $0 }
        guard shuffle else { return order }
        var generator = SplitMix64(seed, 0x5348_5546, UInt64(bitPattern: Int64(epoch)))
        // Fisher-Yates written out, not `shuffle(using:)`, whose algorithm the standard library
        // does not promise to keep: a checkpoint must replay the same order on any toolchain.
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// An empty batch with room for `batchSize` images.
    public func makeBatch() -> Batch { Batch(dimensions: images.dimensions, capacity: batchSize) }

    /// Loads batch `position.batch` of `position.epoch` (computing that epoch's order).
    public func load(_ position: BatchPosition, into batch: inout Batch) {
        load(position, order: order(epoch: position.epoch), into: &batch)
    }

    /// Loads a batch given its epoch's `order` (as returned by `order(epoch:)`).
    public func load(_ position: BatchPosition, order: [Int32], into batch: inout Batch) {
        precondition((0..<batchesPerEpoch).contains(position.batch), "batch \(position.batch) is beyond the epoch")
        let first = position.batch * batchSize
        let count = min(batchSize, images.count - first)
        let size = images.dimensions.valueCount
        batch.position = position
        batch.dimensions = images.dimensions
        batch.labels.removeAll(keepingCapacity: true)
        batch.sourceIndices.removeAll(keepingCapacity: true)
        if batch.images.count > count * size {
            batch.images.removeLast(batch.images.count - count * size)
        } else if batch.images.count < count * size {
            batch.images.append(contentsOf: repeatElement(0, count: count * size - batch.images.count))
        }
        for slot in 0..<count {
            let source = Int(order[first + slot])
            batch.labels.append(images.labels[source])
            batch.sourceIndices.append(Int32(source))
            let draw =
                augmentation.isIdentity
                ? SampleDraw.identity
                : SampleDraw(
                    augmentation, dimensions: images.dimensions, seed: seed, epoch: position.epoch,
                    position: first + slot)
            batch.images.withUnsafeMutableBufferPointer { output in
                write(image: source, draw: draw, to: output.baseAddress! + slot * size)
            }
        }
    }

    private func write(image: Int, draw: SampleDraw, to output: UnsafeMutablePointer<Float>) {
        let dims = images.dimensions
        let (height, width) = (dims.height, dims.width)
        images.pixels.withUnsafeBufferPointer { pixels in
            tables.withUnsafeBufferPointer { tables in
                for channel in 0..<dims.channels {
                    let table = tables.baseAddress! + 256 * channel
                    let plane = pixels.baseAddress! + image * dims.valueCount + channel * height * width
                    let target = output + channel * height * width
                    let padding = table[0]
                    for y in 0..<height {
                        let row = target + y * width
                        let sourceY = y + draw.shiftY
                        guard sourceY >= 0 && sourceY < height else {
                            row.update(repeating: padding, count: width)
                            continue
                        }
                        let sourceRow = plane + sourceY * width
                        // Output columns whose source column (x + shift, or width - 1 - x + shift
                        // when flipped) lies inside the image; the rest are padding.
                        let shift = draw.shiftX
                        let (first, end) =
                            draw.flip
                            ? (max(0, shift), min(width, width + shift))
                            : (max(0, -shift), min(width, width - shift))
                        // A shift as wide as the image leaves nothing inside.
                        let inside = min(first, width)..<max(min(first, width), end)
                        for x in 0..<inside.lowerBound { row[x] = padding }
                        if draw.flip {
                            let mirrored = sourceRow + (width - 1 + shift)
                            for x in inside { row[x] = table[Int(mirrored[-x])] }
                        } else {
                            let shifted = sourceRow + shift
                            for x in inside { row[x] = table[Int(shifted[x])] }
                        }
                        for x in inside.upperBound..<width { row[x] = padding }
                    }
                }
            }
        }
    }
}

/// The random choices for one image: the crop's offset from the centre and the flip.
struct SampleDraw {
    var shiftY: Int
    var shiftX: Int
    var flip: Bool

    static let identity = SampleDraw(shiftY: 0, shiftX: 0, flip: false)

    init(shiftY: Int, shiftX: Int, flip: Bool) {
        self.shiftY = shiftY
        self.shiftX = shiftX
        self.flip = flip
    }

    /// The draw for the image at `position` of `epoch`: the same on every run and after a resume.
    init(_ augmentation: Augmentation, dimensions: ImageDimensions, seed: UInt64, epoch: Int, position: Int) {
        var generator = SplitMix64(seed, 0x4155_474D, UInt64(bitPattern: Int64(epoch)), UInt64(position))
        let span = 2 * augmentation.cropPadding + 1
        // A crop of the padded image at offset o in 0...2p reads source pixel (o - p) + x.
        shiftY = augmentation.cropPadding > 0 ? Int(generator.next() % UInt64(span)) - augmentation.cropPadding : 0
        shiftX = augmentation.cropPadding > 0 ? Int(generator.next() % UInt64(span)) - augmentation.cropPadding : 0
        flip = augmentation.horizontalFlip && generator.next() & 1 == 1
    }
}
