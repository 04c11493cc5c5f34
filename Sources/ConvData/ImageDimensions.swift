/// Channels, height and width of every image in a dataset.
public struct ImageDimensions: Sendable, Equatable, CustomStringConvertible {
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
