/// How a file stores its colours, as `convtop data info` reports them.
public enum ImageColourMode: String, Sendable, Codable, CaseIterable {
    case grey
    case greyAlpha = "grey+alpha"
    case grey16 = "16-bit grey"
    case greyAlpha16 = "16-bit grey+alpha"
    case palette
    case rgb = "RGB"
    case rgba = "RGBA"
    case rgb16 = "16-bit RGB"
    case rgba16 = "16-bit RGBA"
    case cmyk = "CMYK"

    /// True when the file holds no colour, only grey levels (with or without alpha).
    public var isGrey: Bool { [.grey, .greyAlpha, .grey16, .greyAlpha16].contains(self) }
}

/// Width, height and colour mode of an image file, read from its header without decoding pixels.
///
/// The size is the upright one: a JPEG whose EXIF orientation turns it a quarter is reported
/// with width and height swapped.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFileFormat
    public var width: Int
    public var height: Int
    public var colourMode: ImageColourMode
}

/// 8-bit pixels of one decoded image, upright, row by row with the channels of a pixel together
/// (HWC): one channel (grey) or three (RGB). Alpha is dropped, as PIL's `convert("RGB")` does.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (RGB).
    public var channels: Int
    /// `height * width * channels` bytes.
    public var pixels: [UInt8]
    public var colourMode: ImageColourMode

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], colourMode: ImageColourMode) {
        precondition(pixels.count == width * height * channels, "pixels do not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.colourMode = colourMode
    }

    /// The same image with `count` channels: grey repeated into RGB, or RGB to grey with the
    /// ITU-R 601 luma weights in PIL's fixed-point form, so results match PIL's `convert("L")`.
    public func converted(toChannels count: Int) -> DecodedImage {
        precondition(count == 1 || count == 3, "1 or 3 channels")
        guard count != channels else { return self }
        let pixelCount = width * height
        var converted = [UInt8](repeating: 0, count: pixelCount * count)
        pixels.withUnsafeBufferPointer { source in
            converted.withUnsafeMutableBufferPointer { target in
                if count == 3 {
                    for index in 0..<pixelCount {
                        let grey = source[index]
                        target[3 * index] = grey
                        target[3 * index + 1] = grey
                        target[3 * index + 2] = grey
                    }
                } else {
                    for index in 0..<pixelCount {
                        let red = UInt32(source[3 * index]), green = UInt32(source[3 * index + 1])
                        let blue = UInt32(source[3 * index + 2])
                        target[index] = UInt8((red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16)
                    }
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: count, pixels: converted, colourMode: colourMode)
    }
}
