/// Channels, height and width of an image, as events carry it.
///
/// The protocol's own type, so that a viewer reads events without the data module; the training
/// module converts the dataset's `ImageDimensions` into it.
public struct ImageShape: Sendable, Hashable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Values per image: channels x height x width.
    public var valueCount: Int { channels * height * width }

    public var description: String { "\(channels)x\(height)x\(width)" }
}
