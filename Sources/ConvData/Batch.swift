/// A batch of normalised images ready for the engine.
///
/// The arrays keep their capacity when a batch is refilled, so a recycled batch is reused
/// without allocating.
public struct Batch: Sendable {
    /// Which epoch and which batch of that epoch this is.
    public var position: BatchPosition
    public var dimensions: ImageDimensions
    /// `count x channels x height x width` floats (NCHW).
    public var images: [Float]
    /// One label per image.
    public var labels: [Int32]
    /// The index of each image in the image set it came from (for thumbnails of mistakes).
    public var sourceIndices: [Int32]

    /// An empty batch able to hold `capacity` images without growing.
    public init(dimensions: ImageDimensions, capacity: Int) {
        position = BatchPosition(epoch: 0, batch: 0)
        self.dimensions = dimensions
        images = []
        labels = []
        sourceIndices = []
        images.reserveCapacity(capacity * dimensions.valueCount)
        labels.reserveCapacity(capacity)
        sourceIndices.reserveCapacity(capacity)
    }

    /// Number of images in the batch (less than the batch size only for an epoch's last batch).
    public var count: Int { labels.count }
}

/// A place in the stream of batches: batch `batch` of epoch `epoch`, both counted from 0.
public struct BatchPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var epoch: Int
    public var batch: Int

    public init(epoch: Int, batch: Int) {
        self.epoch = epoch
        self.batch = batch
    }

    public static func < (a: BatchPosition, b: BatchPosition) -> Bool {
        (a.epoch, a.batch) < (b.epoch, b.batch)
    }

    public var description: String { "epoch \(epoch) batch \(batch)" }
}
