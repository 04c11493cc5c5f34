/// Why the bytes of one image file could not be turned into pixels.
///
/// Each case describes itself as a short reason without the file name, so a dataset can list
/// skipped files as `path: reason`.
public enum ImageDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case empty
    /// The content is an image format convtop does not read (GIF, WebP, BMP, TIFF).
    case unsupportedFormat(String)
    /// The content is neither PNG nor JPEG, whatever the file's extension says.
    case notAnImage
    /// More pixels than `ImageDecoder.maximumPixelCount`; refused before allocating them.
    case tooLarge(width: Int, height: Int)
    /// The PNG or JPEG library rejected the data (truncated, bad checksum, bad marker ...).
    case corrupt(format: ImageFileFormat, reason: String)

    public var description: String {
        switch self {
        case .empty:
            return "zero bytes"
        case .unsupportedFormat(let name):
            return "\(name) images are not supported (only PNG and JPEG)"
        case .notAnImage:
            return "not a PNG or JPEG file (the content matches no image format)"
        case .tooLarge(let width, let height):
            return "\(width)x\(height) is more than the \(ImageDecoder.maximumPixelCount >> 20) Mpixel limit"
        case .corrupt(let format, let reason):
            return "corrupt \(format.rawValue) (\(reason))"
        }
    }
}
