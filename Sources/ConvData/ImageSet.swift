/// Images and their labels, held as the bytes the dataset files store.
///
/// Each image is `dimensions.valueCount` bytes in CHW order (all of channel 0 row by row, then
/// channel 1, ...). The bytes live in memory, or for a large image folder in its memory-mapped
/// decode cache (`isMapped`).
public struct ImageSet: Sendable {
    public let dimensions: ImageDimensions
    /// Where each image's bytes are.
    public let packed: PackedImages
    /// One label per image, in `0..<classCount` of the owning dataset.
    public let labels: [Int32]
    /// Each image's file, relative to the dataset folder, for datasets of image files; empty for
    /// datasets whose images come packed in one file (CIFAR, IDX).
    public let fileNames: [String]
    /// Larger copies of the images, that random resized crops are drawn from (an image folder's
    /// training images); nil when the stored images are their own sources.
    public let sources: SourceImages?

    /// Wraps pixels and labels; `pixels.count` must be `labels.count * dimensions.valueCount`, and
    /// `fileNames` empty or one per image.
    public init(dimensions: ImageDimensions, pixels: [UInt8], labels: [Int32], fileNames: [String] = []) {
        precondition(pixels.count == labels.count * dimensions.valueCount, "pixels do not match labels")
        self.init(
            dimensions: dimensions,
            packed: PackedImages(contiguous: pixels, size: dimensions.valueCount, count: labels.count),
            labels: labels, fileNames: fileNames, sources: nil)
    }

    init(
        dimensions: ImageDimensions, packed: PackedImages, labels: [Int32], fileNames: [String], sources: SourceImages?
    ) {
        precondition(packed.count == labels.count, "images do not match labels")
        precondition(fileNames.isEmpty || fileNames.count == labels.count, "file names do not match labels")
        precondition(sources.map { $0.count == labels.count } ?? true, "sources do not match labels")
        self.dimensions = dimensions
        self.packed = packed
        self.labels = labels
        self.fileNames = fileNames
        self.sources = sources
    }

    /// An empty set of images of the given dimensions.
    public static func empty(_ dimensions: ImageDimensions) -> ImageSet {
        ImageSet(dimensions: dimensions, pixels: [], labels: [])
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// True when the images are read in place from a memory-mapped cache file.
    public var isMapped: Bool { packed.isMapped }

    /// Every image's bytes, one after another (a copy unless the set is one array in memory).
    public var pixels: [UInt8] {
        let size = dimensions.valueCount
        if case .memory(let bytes) = packed.buffer, bytes.count == count * size,
            packed.offsets.enumerated().allSatisfy({ $0.element == $0.offset * size })
        {
            return bytes
        }
        return packed.copied(length: size)
    }

    /// The raw CHW bytes of image `index` (for thumbnails).
    public func image(at index: Int) -> ArraySlice<UInt8> {
        ArraySlice(packed.bytes(of: index, length: dimensions.valueCount))
    }

    /// The file name of image `index`, when the dataset has file names.
    public func fileName(at index: Int) -> String? {
        fileNames.indices.contains(index) ? fileNames[index] : nil
    }

    /// The images at `range`, in order.
    public func subset(_ range: Range<Int>) -> ImageSet { subset(Array(range)) }

    /// The images at `indices`, in that order (sharing this set's bytes).
    public func subset(_ indices: [Int]) -> ImageSet {
        ImageSet(
            dimensions: dimensions, packed: packed.selecting(indices), labels: indices.map { labels[$0] },
            fileNames: fileNames.isEmpty ? [] : indices.map { fileNames[$0] },
            sources: sources?.selecting(indices))
    }

    /// Splits off the last `count` images as a validation set; the rest stays for training.
    ///
    /// Deterministic: the same images are held out on every run, whatever the seed.
    public func holdingOut(last count: Int) throws -> (train: ImageSet, validation: ImageSet) {
        guard count >= 0, count < self.count else {
            throw DataError.invalidOption(
                "--val-split \(count): must be between 0 and \(self.count - 1) (the training set has \(self.count) images)"
            )
        }
        return (subset(0..<(self.count - count)), subset((self.count - count)..<self.count))
    }

    /// Splits off `count` images as a validation set, each class giving its share (largest
    /// remainders first), drawn by a fixed-seed shuffle within the class: the same images on every
    /// run, in the original order on both sides.
    public func holdingOutStratified(_ count: Int, classCount: Int) throws -> (train: ImageSet, validation: ImageSet) {
        guard count >= 0, count < self.count else {
            throw DataError.invalidOption(
                "--val-split \(count): must be between 0 and \(self.count - 1) (the training set has \(self.count) images)"
            )
        }
        var members = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { members[Int(label)].append(index) }
        let exact = members.map { Double($0.count) * Double(count) / Double(self.count) }
        var shares = exact.map { Int($0) }
        let byRemainder = exact.indices.sorted {
            (exact[$0] - Double(shares[$0]), $1) > (exact[$1] - Double(shares[$1]), $0)
        }
        for label in byRemainder.prefix(count - shares.reduce(0, +)) { shares[label] += 1 }
        var random = SplitMix64(seed: 0x5EED_0F_1A_B0)
        var heldOut = Set<Int>()
        for (label, indices) in members.enumerated() {
            var shuffled = indices
            for position in stride(from: shuffled.count - 1, to: 0, by: -1) {
                shuffled.swapAt(position, Int(random.next() % UInt64(position + 1)))
            }
            heldOut.formUnion(shuffled.prefix(shares[label]))
        }
        let all = Array(0..<self.count)
        return (subset(all.filter { !heldOut.contains($0) }), subset(all.filter(heldOut.contains)))
    }

    /// How many images each class has.
    public func classCounts(classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where Int(label) < classCount { counts[Int(label)] += 1 }
        return counts
    }
}

/// The copies of an image set's images that random resized crops are drawn from: each image at
/// its own size (CHW bytes), at least the stored size and at most twice as large.
public struct SourceImages: Sendable {
    let packed: PackedImages
    let widths: [Int]
    let heights: [Int]

    init(packed: PackedImages, widths: [Int], heights: [Int]) {
        precondition(widths.count == packed.count && heights.count == packed.count, "one size per source")
        self.packed = packed
        self.widths = widths
        self.heights = heights
    }

    var count: Int { packed.count }

    func selecting(_ indices: [Int]) -> SourceImages {
        SourceImages(
            packed: packed.selecting(indices), widths: indices.map { widths[$0] }, heights: indices.map { heights[$0] })
    }
}
