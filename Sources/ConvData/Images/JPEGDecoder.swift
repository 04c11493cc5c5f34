import CJPEG

/// JPEG files through libjpeg-turbo's TurboJPEG API: baseline and progressive, grey, YCbCr and
/// CMYK/YCCK, turned upright by their EXIF orientation.
enum JPEGDecoder {
    /// Size and colour mode from the frame header, with the axes swapped when EXIF turns the image.
    static func header(_ bytes: UnsafeRawBufferPointer) throws -> ImageHeader {
        try withHandle { handle in
            let frame = try frameHeader(handle, bytes)
            let markers = JPEGMarkers(bytes)
            let swaps = markers.orientation?.swapsAxes ?? false
            return ImageHeader(
                format: .jpeg, width: swaps ? frame.height : frame.width,
                height: swaps ? frame.width : frame.height, colourMode: frame.colourMode)
        }
    }

    /// Decodes every pixel. Truncated data and other decoder warnings are errors, as in PIL.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> DecodedImage {
        try withHandle { handle in
            let frame = try frameHeader(handle, bytes)
            try ImageDecoder.checkPixelCount(width: frame.width, height: frame.height, format: .jpeg)
            let markers = JPEGMarkers(bytes)
            let (pixelFormat, samples): (TJPF, Int) =
                switch frame.colourMode {
                case .grey: (TJPF_GRAY, 1)
                case .cmyk: (TJPF_CMYK, 4)
                default: (TJPF_RGB, 3)
                }
            var decoded = [UInt8](repeating: 0, count: frame.width * frame.height * samples)
            let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
            let status = decoded.withUnsafeMutableBufferPointer { target in
                tjDecompress2(
                    handle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count),
                    target.baseAddress, Int32(frame.width), 0, Int32(frame.height),
                    Int32(pixelFormat.rawValue), flags)
            }
            if status != 0 { throw failure(handle) }
            var image: DecodedImage
            if frame.colourMode == .cmyk {
                image = DecodedImage(
                    width: frame.width, height: frame.height, channels: 3,
                    pixels: rgb(fromCMYK: decoded, adobeInverted: markers.isAdobe), colourMode: .cmyk)
            } else {
                image = DecodedImage(
                    width: frame.width, height: frame.height, channels: samples, pixels: decoded,
                    colourMode: frame.colourMode)
            }
            if let orientation = markers.orientation { image = orientation.apply(to: image) }
            return image
        }
    }

    private struct Frame {
        var width: Int
        var height: Int
        var colourMode: ImageColourMode
    }

    private static func withHandle<Result>(_ body: (tjhandle) throws -> Result) throws -> Result {
        guard let handle = tjInitDecompress() else {
            throw ImageDecodingError.corrupt(format: .jpeg, reason: "cannot start the decoder")
        }
        defer { tjDestroy(handle) }
        return try body(handle)
    }

    private static func frameHeader(_ handle: tjhandle, _ bytes: UnsafeRawBufferPointer) throws -> Frame {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
        guard
            tjDecompressHeader3(
                handle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count),
                &width, &height, &subsampling, &colourspace) == 0
        else { throw failure(handle) }
        let mode: ImageColourMode =
            switch colourspace {
            case Int32(TJCS_GRAY.rawValue): .grey
            case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): .cmyk
            default: .rgb
            }
        return Frame(width: Int(width), height: Int(height), colourMode: mode)
    }

    private static func failure(_ handle: tjhandle) -> ImageDecodingError {
        let reason = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        return .corrupt(format: .jpeg, reason: reason)
    }

    /// RGB from CMYK samples: red = (255 - C)(255 - K) / 255 and so on. Adobe's files (every
    /// CMYK JPEG Photoshop or PIL writes, marked by an APP14 `Adobe` segment) store the samples
    /// inverted, so there the stored values are 255 - C ... directly.
    static func rgb(fromCMYK cmyk: [UInt8], adobeInverted: Bool) -> [UInt8] {
        let pixelCount = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        cmyk.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { target in
                for index in 0..<pixelCount {
                    func ink(_ channel: Int) -> UInt32 {
                        let stored = UInt32(source[4 * index + channel])
                        return adobeInverted ? stored : 255 - stored
                    }
                    let white = ink(3)
                    for channel in 0..<3 {
                        let product = ink(channel) * white + 128
                        target[3 * index + channel] = UInt8((product + (product >> 8)) >> 8)
                    }
                }
            }
        }
        return rgb
    }
}

/// The few JPEG marker segments before the scan data that TurboJPEG does not act on.
struct JPEGMarkers {
    /// From the first APP1 `Exif` segment, when it has one.
    var orientation: EXIFOrientation?
    /// An APP14 `Adobe` segment is present (CMYK samples are stored inverted).
    var isAdobe = false

    /// Walks the segments from SOI to the first SOS, stopping quietly at anything malformed.
    init(_ bytes: UnsafeRawBufferPointer) {
        var offset = 2
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let end = offset + 2 + length
            guard length >= 2, end <= bytes.count else { break }
            let payload = ArraySlice(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<end]))
            if marker == 0xE1, orientation == nil, let found = EXIFOrientation(exifPayload: payload) {
                orientation = found
            } else if marker == 0xEE, payload.starts(with: Array("Adobe".utf8)) {
                isAdobe = true
            }
            offset = end
        }
    }
}
