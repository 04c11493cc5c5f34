/// Turns the bytes of an image file into upright 8-bit pixels, choosing the decoder by content.
public enum ImageDecoder {
    /// The largest image convtop decodes: 64 Mpixel of 2^20 (for example 8192 x 8192), checked
    /// from the header before any pixel memory is allocated.
    public static let maximumPixelCount = 64 * 1024 * 1024

    /// The file's format, size and colour mode without decoding its pixels.
    public static func header(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> ImageHeader {
        try dispatch(bytes, png: PNGDecoder.header, jpeg: JPEGDecoder.header)
    }

    /// All pixels of a PNG or JPEG file: grey files as one channel, colour files as RGB.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) -> DecodedImage {
        try dispatch(bytes, png: PNGDecoder.decode, jpeg: JPEGDecoder.decode)
    }

    /// `decode` for bytes in an array.
    public static func decode(_ bytes: [UInt8]) throws(ImageDecodingError) -> DecodedImage {
        // `withUnsafeBytes` rethrows untyped errors; a Result carries the typed one through it.
        try bytes.withUnsafeBytes { buffer in Result { () throws(ImageDecodingError) in try decode(buffer) } }.get()
    }

    static func checkPixelCount(width: Int, height: Int, format: ImageFileFormat) throws {
        guard width > 0, height > 0 else {
            throw ImageDecodingError.corrupt(format: format, reason: "\(width)x\(height) has no pixels")
        }
        guard width <= maximumPixelCount / height else {
            throw ImageDecodingError.tooLarge(width: width, height: height)
        }
    }

    private static func dispatch<Result>(
        _ bytes: UnsafeRawBufferPointer,
        png: (UnsafeRawBufferPointer) throws -> Result,
        jpeg: (UnsafeRawBufferPointer) throws -> Result
    ) throws(ImageDecodingError) -> Result {
        guard !bytes.isEmpty else { throw .empty }
        guard let format = ImageFileFormat(sniffing: bytes) else { throw .notAnImage }
        do {
            switch format {
            case .png: return try png(bytes)
            case .jpeg: return try jpeg(bytes)
            default: throw ImageDecodingError.unsupportedFormat(format.rawValue)
            }
        } catch let error as ImageDecodingError {
            throw error
        } catch {
            throw .corrupt(format: format, reason: "\(error)")
        }
    }
}
