import ConvData
import ConvProtocol

extension ImageShape {
    /// The shape events carry for images of a dataset's dimensions.
    public init(_ dimensions: ImageDimensions) {
        self.init(channels: dimensions.channels, height: dimensions.height, width: dimensions.width)
    }
}
