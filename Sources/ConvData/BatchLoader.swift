import Foundation

/// Turns an image set into batches: shuffled per epoch, augmented, normalised to floats.
///
/// Everything is a pure function of the seed, the epoch and the position within the epoch, so
/// batch `b` of epoch `e` is the same whether it is loaded in order, alone, after a resume, or on
/// any number of threads.
public struct BatchLoader: Sendable {
    public let images: ImageSet
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let augmentation: Augmentation
    public let normalization: Normalization
    /// Threads that prepare the images of one batch when augmentation resamples them (random
    /// resized crops); copying and padded crops are cheap enough for the loader's one thread.
    public let threads: Int
    /// 256 floats per channel: the normalised value of each byte.
    private let tables: [Float]

    public init(
        images: ImageSet, batchSize: Int, shuffle: Bool, seed: UInt64,
        augmentation: Augmentation, normalization: Normalization,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(normalization.mean.count == images.dimensions.channels, "one normalisation per channel")
        self.images = images
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.augmentation = augmentation
        self.normalization = normalization
        self.threads = max(1, threads)
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
        }
        let resamples = augmentation.resizedCrop != nil
        let chunks = resamples ? min(threads, count) : 1
        batch.images.withUnsafeMutableBufferPointer { output in
            let target = SlotWriter(base: output.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var scratch = [UInt8](repeating: 0, count: resamples ? size : 0)
                for slot in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
                    write(
                        image: Int(order[first + slot]), position: first + slot, epoch: position.epoch,
                        scratch: &scratch, to: target.base + slot * size)
                }
            }
        }
    }

    /// Image `image`, augmented as drawn for `position` of `epoch`, normalised into `output`.
    private func write(
        image: Int, position: Int, epoch: Int, scratch: inout [UInt8], to output: UnsafeMutablePointer<Float>
    ) {
        let dims = images.dimensions
        guard !augmentation.isIdentity else {
            return images.packed.withBase {
                write(source: $0 + images.packed.offsets[image], draw: .identity, to: output)
            }
        }
        var generator = SplitMix64(seed, 0x4155_474D, UInt64(bitPattern: Int64(epoch)), UInt64(position))
        // Drawn after the crop and flip, so that adding a cutout leaves every other draw as it was.
        defer { eraseCutout(in: output, using: &generator) }
        guard let resizedCrop = augmentation.resizedCrop else {
            let draw = SampleDraw(augmentation, using: &generator)
            return images.packed.withBase { write(source: $0 + images.packed.offsets[image], draw: draw, to: output) }
        }
        let (packed, index, width, height) =
            images.sources.map { ($0.packed, image, $0.widths[image], $0.heights[image]) }
            ?? (images.packed, image, dims.width, dims.height)
        let box = resizedCrop.box(
            width: width, height: height, outputAspect: Double(dims.width) / Double(dims.height), using: &generator)
        scratch.withUnsafeMutableBufferPointer { scratch in
            packed.withBase { base in
                ImageResampler.resizedCrop(
                    planes: base + packed.offsets[index], width: width, height: height, channels: dims.channels,
                    box: box, to: ImageSize(width: dims.width, height: dims.height), into: scratch.baseAddress!)
            }
            let draw = SampleDraw(shiftY: 0, shiftX: 0, flip: augmentation.horizontalFlip && generator.next() & 1 == 1)
            write(source: UnsafePointer(scratch.baseAddress!), draw: draw, to: output)
        }
    }

    /// Sets a random `augmentation.cutout`-wide square of every channel of the normalised image at
    /// `output` to 0, the training images' mean.
    private func eraseCutout(in output: UnsafeMutablePointer<Float>, using generator: inout SplitMix64) {
        let side = augmentation.cutout, dims = images.dimensions
        guard side > 0 else { return }
        let top = Int(generator.next() % UInt64(dims.height - side + 1))
        let left = Int(generator.next() % UInt64(dims.width - side + 1))
        for channel in 0..<dims.channels {
            let corner = output + (channel * dims.height + top) * dims.width + left
            for y in 0..<side { (corner + y * dims.width).update(repeating: 0, count: side) }
        }
    }

    /// One image's CHW bytes at `source`, shifted and flipped as `draw` says, normalised into `output`.
    private func write(source: UnsafePointer<UInt8>, draw: SampleDraw, to output: UnsafeMutablePointer<Float>) {
        let dims = images.dimensions
        let (height, width) = (dims.height, dims.width)
        tables.withUnsafeBufferPointer { tables in
            for channel in 0..<dims.channels {
                let table = tables.baseAddress! + 256 * channel
                let plane = source + channel * height * width
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

/// The start of a batch's image buffer, which the loading threads fill in disjoint slots.
///
/// `@unchecked Sendable` is safe because each thread writes only its own slots, and the buffer
/// outlives `concurrentPerform`, which returns only when every thread has finished.
private struct SlotWriter: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// The random choices for one padded crop: the crop's offset from the centre and the flip.
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

    /// The draw from `generator`, keyed by the image's position and epoch: the same on every run
    /// and after a resume.
    init(_ augmentation: Augmentation, using generator: inout SplitMix64) {
        let span = 2 * augmentation.cropPadding + 1
        // A crop of the padded image at offset o in 0...2p reads source pixel (o - p) + x.
        shiftY = augmentation.cropPadding > 0 ? Int(generator.next() % UInt64(span)) - augmentation.cropPadding : 0
        shiftX = augmentation.cropPadding > 0 ? Int(generator.next() % UInt64(span)) - augmentation.cropPadding : 0
        flip = augmentation.horizontalFlip && generator.next() & 1 == 1
    }
}
