/// An image drawn as text with the luminance ramp ` .:-=+*#%@`, for terminals without colour.
///
/// One character covers one pixel across and two pixels down, since a terminal cell is about
/// twice as tall as it is wide.
public enum ASCIIThumbnail {
    public static let ramp = Array(" .:-=+*#%@")

    /// The lines of text for one CHW image (1 channel grey, or 3 channels RGB).
    public static func lines(_ image: ArraySlice<UInt8>, dimensions: ImageDimensions) -> [String] {
        let plane = dimensions.height * dimensions.width
        let base = image.startIndex
        func luminance(_ y: Int, _ x: Int) -> Double {
            let offset = base + y * dimensions.width + x
            guard dimensions.channels >= 3 else { return Double(image[offset]) }
            // ITU-R BT.601 weights: how bright red, green and blue look.
            return 0.299 * Double(image[offset]) + 0.587 * Double(image[offset + plane])
                + 0.114 * Double(image[offset + 2 * plane])
        }
        return stride(from: 0, to: dimensions.height, by: 2).map { y in
            String(
                (0..<dimensions.width).map { x in
                    let below = y + 1 < dimensions.height ? luminance(y + 1, x) : luminance(y, x)
                    let level = (luminance(y, x) + below) / 2 / 256 * Double(ramp.count)
                    return ramp[min(ramp.count - 1, Int(level))]
                })
        }
    }
}
