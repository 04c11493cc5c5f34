/// The EXIF orientation of a JPEG (tag 0x0112 of IFD0 in the APP1 `Exif` segment): how the
/// stored pixels must be turned to be upright. TurboJPEG ignores it, so convtop applies it.
enum EXIFOrientation: Int, Sendable {
    case upright = 1
    case mirrored = 2
    case upsideDown = 3
    case flippedVertically = 4
    case transposed = 5
    case rotatedClockwise = 6
    case transverse = 7
    case rotatedCounterClockwise = 8

    /// True when the upright image is the stored one turned a quarter: width and height swap.
    var swapsAxes: Bool { rawValue >= 5 }

    /// Reads the orientation from the TIFF structure inside an `Exif\0\0` APP1 payload; nil when
    /// the tag is absent or any offset points outside the payload.
    init?(exifPayload bytes: ArraySlice<UInt8>) {
        let base = bytes.startIndex + 6
        guard bytes.count >= 6 + 8, Array(bytes.prefix(6)) == Array("Exif\0\0".utf8) else { return nil }
        let littleEndian: Bool
        switch (bytes[base], bytes[base + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func value(at offset: Int, size: Int) -> Int? {
            guard offset >= 0, size <= 4, base + offset + size <= bytes.endIndex else { return nil }
            var result = 0
            for index in 0..<size {
                let byte = Int(bytes[base + offset + (littleEndian ? size - 1 - index : index)])
                result = result << 8 | byte
            }
            return result
        }
        guard value(at: 2, size: 2) == 42, let directory = value(at: 4, size: 4),
            let entries = value(at: directory, size: 2)
        else { return nil }
        for entry in 0..<entries {
            let offset = directory + 2 + 12 * entry
            guard let tag = value(at: offset, size: 2) else { return nil }
            guard tag == 0x0112 else { continue }
            guard value(at: offset + 2, size: 2) == 3, let raw = value(at: offset + 8, size: 2) else { return nil }
            self.init(rawValue: raw)
            return
        }
        return nil
    }

    /// `image` turned upright.
    func apply(to image: DecodedImage) -> DecodedImage {
        guard self != .upright else { return image }
        let width = image.width, height = image.height, channels = image.channels
        let (outputWidth, outputHeight) = swapsAxes ? (height, width) : (width, height)
        var pixels = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<outputHeight {
                    for x in 0..<outputWidth {
                        let (sourceX, sourceY) = sourcePosition(x: x, y: y, width: width, height: height)
                        let from = (sourceY * width + sourceX) * channels
                        let to = (y * outputWidth + x) * channels
                        for channel in 0..<channels { target[to + channel] = source[from + channel] }
                    }
                }
            }
        }
        return DecodedImage(
            width: outputWidth, height: outputHeight, channels: channels, pixels: pixels,
            colourMode: image.colourMode)
    }

    /// Where the pixel at (x, y) of the upright image is stored, in a stored image of `width` x `height`.
    private func sourcePosition(x: Int, y: Int, width: Int, height: Int) -> (Int, Int) {
        switch self {
        case .upright: (x, y)
        case .mirrored: (width - 1 - x, y)
        case .upsideDown: (width - 1 - x, height - 1 - y)
        case .flippedVertically: (x, height - 1 - y)
        case .transposed: (y, x)
        case .rotatedClockwise: (y, height - 1 - x)
        case .transverse: (width - 1 - y, height - 1 - x)
        case .rotatedCounterClockwise: (width - 1 - y, x)
        }
    }
}
