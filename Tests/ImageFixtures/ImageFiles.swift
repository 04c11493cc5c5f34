import CJPEG
import CPNG
import CZlib
import Foundation

/// Encodes small PNG and JPEG files with libspng and TurboJPEG, in every variant the decoder
/// must read, so tests need no image files from outside.
public enum ImageFiles {
    public enum PNGColour {
        case grey, greyAlpha, rgb, rgba
        /// Indexed colour with this RGB palette (at most 256 entries).
        case palette([[UInt8]])

        var spngType: spng_color_type {
            switch self {
            case .grey: SPNG_COLOR_TYPE_GRAYSCALE
            case .greyAlpha: SPNG_COLOR_TYPE_GRAYSCALE_ALPHA
            case .rgb: SPNG_COLOR_TYPE_TRUECOLOR
            case .rgba: SPNG_COLOR_TYPE_TRUECOLOR_ALPHA
            case .palette: SPNG_COLOR_TYPE_INDEXED
            }
        }
    }

    /// A PNG of `samples`, as the file stores them (row by row, big-endian for 16 bits).
    public static func png(width: Int, height: Int, colour: PNGColour, bitDepth: Int = 8, samples: [UInt8]) -> [UInt8] {
        let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue))!
        defer { spng_ctx_free(context) }
        spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1)
        var header = spng_ihdr(
            width: UInt32(width), height: UInt32(height), bit_depth: UInt8(bitDepth),
            color_type: UInt8(colour.spngType.rawValue), compression_method: 0,
            filter_method: 0, interlace_method: 0)
        precondition(spng_set_ihdr(context, &header) == 0)
        if case .palette(let entries) = colour {
            var palette = spng_plte()
            palette.n_entries = UInt32(entries.count)
            withUnsafeMutableBytes(of: &palette.entries) { raw in
                for (index, entry) in entries.enumerated() {
                    raw[4 * index] = entry[0]
                    raw[4 * index + 1] = entry[1]
                    raw[4 * index + 2] = entry[2]
                    raw[4 * index + 3] = 255
                }
            }
            precondition(spng_set_plte(context, &palette) == 0)
        }
        var samples = samples
        let status = samples.withUnsafeMutableBytes {
            spng_encode_image(
                context, $0.baseAddress, $0.count, Int32(SPNG_FMT_PNG.rawValue), Int32(SPNG_ENCODE_FINALIZE.rawValue))
        }
        precondition(status == 0, String(cString: spng_strerror(status)))
        var length = 0, error: Int32 = 0
        let buffer = spng_get_png_buffer(context, &length, &error)!
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// A JPEG of interleaved pixels: 1 sample (grey), 3 (RGB) or 4 (CMYK, which libjpeg marks
    /// with an Adobe segment and stores as given).
    public static func jpeg(
        width: Int, height: Int, samples: [UInt8], channels: Int, quality: Int = 95,
        progressive: Bool = false, exifOrientation: Int? = nil
    ) -> [UInt8] {
        let handle = tjInitCompress()!
        defer { tjDestroy(handle) }
        let (format, subsampling): (TJPF, TJSAMP) =
            switch channels {
            case 1: (TJPF_GRAY, TJSAMP_GRAY)
            case 4: (TJPF_CMYK, TJSAMP_444)
            default: (TJPF_RGB, TJSAMP_444)
            }
        var buffer: UnsafeMutablePointer<UInt8>?
        var length: UInt = 0
        let status = samples.withUnsafeBufferPointer {
            tjCompress2(
                handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &buffer, &length,
                Int32(subsampling.rawValue), Int32(quality), progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        precondition(status == 0, String(cString: tjGetErrorStr2(handle)))
        defer { tjFree(buffer) }
        var bytes = Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
        if let exifOrientation { bytes.insert(contentsOf: exifSegment(orientation: exifOrientation), at: 2) }
        return bytes
    }

    /// An APP1 segment holding a TIFF structure whose IFD0 has one entry: the orientation.
    public static func exifSegment(orientation: Int, bigEndian: Bool = false) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] {
            bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        func u32(_ value: Int) -> [UInt8] {
            bigEndian ? u16(value >> 16) + u16(value & 0xFFFF) : u16(value & 0xFFFF) + u16(value >> 16)
        }
        var tiff = Array((bigEndian ? "MM" : "II").utf8) + u16(42) + u32(8)
        tiff += u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        return [0xFF, 0xE1] + [UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    /// `bytes` with a PNG's IHDR width and height replaced (and its CRC recomputed).
    public static func pngClaimingSize(_ bytes: [UInt8], width: Int, height: Int) -> [UInt8] {
        var patched = bytes
        for (offset, value) in [(16, width), (20, height)] {
            for index in 0..<4 { patched[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
        }
        let crc = patched[12..<29].withUnsafeBufferPointer { crc32(0, $0.baseAddress, 17) }
        for index in 0..<4 { patched[29 + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * index)) }
        return patched
    }

    /// A grey PNG `side` pixels square with a bright band across its top three eighths (class
    /// "top") or its bottom three eighths ("bottom"), a pattern a model learns in a few steps;
    /// `noise` varies the pixels. At 16x16 the bands are rows 0-5 and 10-15.
    public static func bandPNG(side: Int = 16, top: Bool, noise: Int) -> [UInt8] {
        let band = side * 3 / 8
        let samples = (0..<(side * side)).map { i -> UInt8 in
            let row = i / side
            let inBand = top ? row < band : row >= side - band
            return UInt8((inBand ? 190 : 30) + (i * 7 + noise * 13) % 40)
        }
        return png(width: side, height: side, colour: .grey, samples: samples)
    }

    /// Writes `bytes` to `folder/path`, creating the folders on the way.
    public static func write(_ bytes: [UInt8], to folder: URL, _ path: String) throws {
        let file = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
    }
}
