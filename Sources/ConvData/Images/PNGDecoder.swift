import CPNG

/// PNG files through libspng: every colour type and bit depth, to 8-bit grey or RGB.
enum PNGDecoder {
    /// Reads the IHDR chunk only.
    static func header(_ bytes: UnsafeRawBufferPointer) throws -> ImageHeader {
        try withContext(bytes) { context in
            let header = try imageHeader(context)
            return ImageHeader(
                format: .png, width: Int(header.width), height: Int(header.height),
                colourMode: colourMode(header))
        }
    }

    /// Decodes every pixel; 16-bit samples keep their high byte, alpha and transparency are dropped.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> DecodedImage {
        try withContext(bytes) { context in
            let header = try imageHeader(context)
            let mode = colourMode(header)
            let width = Int(header.width), height = Int(header.height)
            try ImageDecoder.checkPixelCount(width: width, height: height, format: .png)
            // G8 takes grey of at most 8 bits as is, RGB8 any colour type; grey with alpha or 16 bits
            // goes through RGBA8, the one format libspng converts every colour type and depth into.
            let direct = mode == .grey || !mode.isGrey
            let format = mode == .grey ? SPNG_FMT_G8 : mode.isGrey ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8
            var size = 0
            try check(spng_decoded_image_size(context, Int32(format.rawValue), &size))
            var decoded = [UInt8](repeating: 0, count: size)
            try decoded.withUnsafeMutableBytes { buffer in
                try check(spng_decode_image(context, buffer.baseAddress, size, Int32(format.rawValue), 0))
            }
            let channels = mode.isGrey ? 1 : 3
            if direct {
                return DecodedImage(width: width, height: height, channels: channels, pixels: decoded, colourMode: mode)
            }
            var grey = [UInt8](repeating: 0, count: width * height)
            decoded.withUnsafeBufferPointer { rgba in
                grey.withUnsafeMutableBufferPointer { target in
                    for index in 0..<(width * height) { target[index] = rgba[4 * index] }
                }
            }
            return DecodedImage(width: width, height: height, channels: 1, pixels: grey, colourMode: mode)
        }
    }

    private static func withContext<Result>(
        _ bytes: UnsafeRawBufferPointer,
        _ body: (OpaquePointer) throws -> Result
    ) throws -> Result {
        guard let context = spng_ctx_new(0) else {
            throw ImageDecodingError.corrupt(format: .png, reason: "out of memory")
        }
        defer { spng_ctx_free(context) }
        // Ancillary chunks (text, ICC profiles) are capped so a hostile file cannot ask for gigabytes.
        try check(spng_set_chunk_limits(context, 1 << 24, 1 << 26))
        let side = UInt32(ImageDecoder.maximumPixelCount)
        try check(spng_set_image_limits(context, side, side))
        try check(spng_set_png_buffer(context, bytes.baseAddress, bytes.count))
        return try body(context)
    }

    private static func imageHeader(_ context: OpaquePointer) throws -> spng_ihdr {
        var header = spng_ihdr()
        try check(spng_get_ihdr(context, &header))
        return header
    }

    private static func colourMode(_ header: spng_ihdr) -> ImageColourMode {
        let deep = header.bit_depth == 16
        switch Int(header.color_type) {
        case Int(SPNG_COLOR_TYPE_GRAYSCALE.rawValue): return deep ? .grey16 : .grey
        case Int(SPNG_COLOR_TYPE_GRAYSCALE_ALPHA.rawValue): return deep ? .greyAlpha16 : .greyAlpha
        case Int(SPNG_COLOR_TYPE_INDEXED.rawValue): return .palette
        case Int(SPNG_COLOR_TYPE_TRUECOLOR_ALPHA.rawValue): return deep ? .rgba16 : .rgba
        default: return deep ? .rgb16 : .rgb
        }
    }

    private static func check(_ status: Int32) throws {
        guard status != 0 else { return }
        let reason = spng_strerror(status).map { String(cString: $0) } ?? "error \(status)"
        throw ImageDecodingError.corrupt(format: .png, reason: reason)
    }
}
