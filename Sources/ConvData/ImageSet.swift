/// Images and their labels, held as the bytes the dataset files store.
///
/// Each image is `dimensions.valueCount` bytes in CHW order (all of channel 0 row by row, then
/// channel 1, ...); image `i` starts at `i * dimensions.valueCount`.
public struct ImageSet: Sendable {
    public let dimensions: ImageDimensions
    /// Pixels of every image, CHW per image, images one after another.
    public let pixels: [UInt8]
    /// One label per image, in `0..<classCount` of the owning dataset.
    public let labels: [Int32]

    /// Wraps pixels and labels; `pixels.count` must be `labels.count * dimensions.valueCount`.
    public init(dimensions: ImageDimensions, pixels: [UInt8], labels: [Int32]) {
        precondition(pixels.count == labels.count * dimensions.valueCount, "pixels do not match labels")
        self.dimensions = dimensions
        self.pixels = pixels
        self.labels = labels
    }

    /// An empty set of images of the given dimensions.
    public static func empty(_ dimensions: ImageDimensions) -> ImageSet {
        ImageSet(dimensions: dimensions, pixels: [], labels: [])
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// The raw CHW bytes of image `index` (for thumbnails).
    public func image(at index: Int) -> ArraySlice<UInt8> {
        let size = dimensions.valueCount
        return pixels[(index * size)..<((index + 1) * size)]
    }

    /// The images at `range`, in order.
    public func subset(_ range: Range<Int>) -> ImageSet {
        let size = dimensions.valueCount
        return ImageSet(dimensions: dimensions,
                        pixels: Array(pixels[(range.lowerBound * size)..<(range.upperBound * size)]),
                        labels: Array(labels[range]))
    }

    /// Splits off the last `count` images as a validation set; the rest stays for training.
    ///
    /// Deterministic: the same images are held out on every run, whatever the seed.
    public func holdingOut(last count: Int) throws -> (train: ImageSet, validation: ImageSet) {
        guard count >= 0, count < self.count else {
            throw DataError.invalidOption(
                "--val-split \(count): must be between 0 and \(self.count - 1) (the training set has \(self.count) images)")
        }
        return (subset(0..<(self.count - count)), subset((self.count - count)..<self.count))
    }

    /// How many images each class has.
    public func classCounts(classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where Int(label) < classCount { counts[Int(label)] += 1 }
        return counts
    }
}
