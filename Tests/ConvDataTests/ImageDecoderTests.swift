import Foundation
import ImageFixtures
import Testing

@testable import ConvData

@Suite struct ImageDecoderTests {
    /// A 4x3 grey ramp: value 20 * index.
    let greyRamp: [UInt8] = (0..<12).map { UInt8($0 * 20) }

    @Test func greyPNGDecodesToItsOwnSamples() throws {
        let image = try ImageDecoder.decode(ImageFiles.png(width: 4, height: 3, colour: .grey, samples: greyRamp))
        #expect(image.width == 4 && image.height == 3 && image.channels == 1)
        #expect(image.colourMode == .grey)
        #expect(image.pixels == greyRamp)
    }

    @Test func greyAlphaPNGKeepsGreyAndDropsAlpha() throws {
        let samples = greyRamp.flatMap { [$0, 255 - $0] }
        let image = try ImageDecoder.decode(ImageFiles.png(width: 4, height: 3, colour: .greyAlpha, samples: samples))
        #expect(image.channels == 1 && image.colourMode == .greyAlpha)
        #expect(image.pixels == greyRamp)
    }

    @Test func sixteenBitGreyPNGKeepsTheHighByte() throws {
        let values: [UInt16] = (0..<12).map { UInt16($0) * 5000 + 77 }
        // libspng's encoder takes 16-bit samples in host (little-endian) order.
        let samples = values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let image = try ImageDecoder.decode(
            ImageFiles.png(width: 4, height: 3, colour: .grey, bitDepth: 16, samples: samples))
        #expect(image.colourMode == .grey16 && image.channels == 1)
        #expect(image.pixels == values.map { UInt8($0 >> 8) })
    }

    @Test func palettePNGExpandsToRGB() throws {
        let palette: [[UInt8]] = [[255, 0, 0], [0, 128, 0], [10, 20, 30]]
        let indices: [UInt8] = [0, 1, 2, 2, 1, 0]
        let image = try ImageDecoder.decode(
            ImageFiles.png(width: 3, height: 2, colour: .palette(palette), samples: indices))
        #expect(image.colourMode == .palette && image.channels == 3)
        #expect(image.pixels == indices.flatMap { palette[Int($0)] })
    }

    @Test func rgbaPNGDropsAlphaWithoutCompositing() throws {
        let rgb: [UInt8] = (0..<18).map { UInt8($0 * 13) }
        var rgba = [UInt8]()
        for pixel in 0..<6 { rgba += rgb[(3 * pixel)..<(3 * pixel + 3)] + [UInt8(pixel * 40)] }
        let image = try ImageDecoder.decode(ImageFiles.png(width: 3, height: 2, colour: .rgba, samples: rgba))
        #expect(image.colourMode == .rgba && image.channels == 3)
        #expect(image.pixels == rgb)
    }

    @Test func headerGivesSizeAndModeWithoutDecoding() throws {
        let bytes = ImageFiles.png(width: 4, height: 3, colour: .grey, samples: greyRamp)
        let header = try bytes.withUnsafeBytes { try ImageDecoder.header($0) }
        #expect(header == ImageHeader(format: .png, width: 4, height: 3, colourMode: .grey))
    }

    /// 8x8 RGB in four flat quadrants, which JPEG keeps within a few levels.
    static let quadrants: [UInt8] = (0..<64).flatMap { index -> [UInt8] in
        let (x, y) = (index % 8, index / 8)
        switch (x < 4, y < 4) {
        case (true, true): return [200, 40, 40]
        case (false, true): return [40, 200, 40]
        case (true, false): return [40, 40, 200]
        case (false, false): return [220, 220, 220]
        }
    }

    @Test(arguments: [false, true])
    func baselineAndProgressiveJPEGDecodeCloseToTheirPixels(progressive: Bool) throws {
        let bytes = ImageFiles.jpeg(width: 8, height: 8, samples: Self.quadrants, channels: 3, progressive: progressive)
        let image = try ImageDecoder.decode(bytes)
        #expect(image.colourMode == .rgb && image.channels == 3 && image.width == 8)
        let largest = zip(image.pixels, Self.quadrants).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(largest <= 12)
    }

    @Test func greyJPEGDecodesToOneChannel() throws {
        let samples = (0..<64).map { UInt8($0 < 32 ? 30 : 220) }
        let image = try ImageDecoder.decode(ImageFiles.jpeg(width: 8, height: 8, samples: samples, channels: 1))
        #expect(image.channels == 1 && image.colourMode == .grey)
        #expect(zip(image.pixels, samples).allSatisfy { abs(Int($0) - Int($1)) <= 6 })
    }

    @Test func adobeCMYKJPEGBecomesRGB() throws {
        // Adobe files store inverted inks: stored (s_c, s_m, s_y, s_k) shows as s_c * s_k / 255 ...
        let stored: [UInt8] = [200, 100, 50, 255]
        let bytes = ImageFiles.jpeg(
            width: 8, height: 8, samples: Array((0..<64).map { _ in stored }.joined()), channels: 4)
        #expect(JPEGMarkers(bytes.withUnsafeBytes { UnsafeRawBufferPointer($0) }).isAdobe)
        let image = try ImageDecoder.decode(bytes)
        #expect(image.colourMode == .cmyk && image.channels == 3)
        let expected: [Int] = [200, 100, 50]
        for pixel in 0..<64 {
            for channel in 0..<3 { #expect(abs(Int(image.pixels[3 * pixel + channel]) - expected[channel]) <= 3) }
        }
        #expect(JPEGDecoder.rgb(fromCMYK: [255, 0, 128, 128], adobeInverted: true) == [128, 0, 64])
        #expect(JPEGDecoder.rgb(fromCMYK: [0, 255, 127, 127], adobeInverted: false) == [128, 0, 64])
    }

    /// A 4x2 JPEG with a black left half and a white right half, as stored.
    static func halves(orientation: Int?) -> [UInt8] {
        let samples = (0..<8).map { UInt8($0 % 4 < 2 ? 0 : 255) }
        return ImageFiles.jpeg(
            width: 4, height: 2, samples: samples, channels: 1, quality: 100, exifOrientation: orientation)
    }

    @Test func exifOrientationSixTurnsTheImageClockwise() throws {
        let image = try ImageDecoder.decode(Self.halves(orientation: 6))
        #expect(image.width == 2 && image.height == 4)
        // Turned clockwise, the stored left half (black) is on top.
        let top = image.pixels[0..<4].map(Int.init), bottom = image.pixels[4..<8].map(Int.init)
        #expect(top.allSatisfy { $0 < 40 } && bottom.allSatisfy { $0 > 215 })
        let header = try Self.halves(orientation: 6).withUnsafeBytes { try ImageDecoder.header($0) }
        #expect(header.width == 2 && header.height == 4)
    }

    @Test func everyOrientationMovesPixelsLikePIL() {
        // A 3x2 image whose pixels are numbered; the expected layouts are PIL's exif_transpose output.
        let stored = DecodedImage(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6], colourMode: .grey)
        let expected: [Int: (Int, [UInt8])] = [
            1: (3, [1, 2, 3, 4, 5, 6]), 2: (3, [3, 2, 1, 6, 5, 4]), 3: (3, [6, 5, 4, 3, 2, 1]),
            4: (3, [4, 5, 6, 1, 2, 3]), 5: (2, [1, 4, 2, 5, 3, 6]), 6: (2, [4, 1, 5, 2, 6, 3]),
            7: (2, [6, 3, 5, 2, 4, 1]), 8: (2, [3, 6, 2, 5, 1, 4]),
        ]
        for (raw, (width, pixels)) in expected {
            let turned = EXIFOrientation(rawValue: raw)!.apply(to: stored)
            #expect(turned.width == width && turned.pixels == pixels, "orientation \(raw)")
        }
    }

    @Test func exifParserReadsBothByteOrdersAndRejectsBadOffsets() {
        for bigEndian in [false, true] {
            let segment = ImageFiles.exifSegment(orientation: 8, bigEndian: bigEndian)
            #expect(EXIFOrientation(exifPayload: segment[4...]) == .rotatedCounterClockwise)
        }
        let segment = ImageFiles.exifSegment(orientation: 6)
        // Every cut before the orientation's value ends (after it: 2 padding bytes and the
        // 4-byte pointer to the next directory, which the parser does not need).
        for cut in 4..<(segment.count - 6) {
            #expect(EXIFOrientation(exifPayload: segment[4..<cut]) == nil)
        }
        var farOffset = segment
        farOffset[4 + 6 + 4] = 0xF0
        #expect(EXIFOrientation(exifPayload: farOffset[4...]) == nil)
        #expect(EXIFOrientation(exifPayload: ImageFiles.exifSegment(orientation: 9)[4...]) == nil)
    }

    @Test func badFilesGiveTypedReasons() throws {
        let png = ImageFiles.png(width: 4, height: 3, colour: .grey, samples: greyRamp)
        let jpeg = ImageFiles.jpeg(width: 8, height: 8, samples: Self.quadrants, channels: 3)
        #expect(throws: ImageDecodingError.empty) { try ImageDecoder.decode([UInt8]()) }
        #expect(throws: ImageDecodingError.notAnImage) { try ImageDecoder.decode(Array("just some notes\n".utf8)) }
        #expect(throws: ImageDecodingError.unsupportedFormat("GIF")) {
            try ImageDecoder.decode(Array("GIF89a....".utf8))
        }
        #expect(throws: ImageDecodingError.unsupportedFormat("WebP")) {
            try ImageDecoder.decode(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8))
        }
        for truncated in [Array(png.prefix(png.count / 2)), Array(jpeg.prefix(jpeg.count / 2))] {
            #expect {
                try ImageDecoder.decode(truncated)
            } throws: { error in
                guard case .corrupt = error as? ImageDecodingError else { return false }
                return true
            }
        }
        var flipped = png
        flipped[20] ^= 0xFF
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(flipped) }
    }

    @Test func imagesOverThePixelLimitAreRefusedFromTheHeader() throws {
        let small = ImageFiles.png(width: 4, height: 3, colour: .grey, samples: greyRamp)
        let huge = ImageFiles.pngClaimingSize(small, width: 20000, height: 20000)
        #expect(throws: ImageDecodingError.tooLarge(width: 20000, height: 20000)) { try ImageDecoder.decode(huge) }
        #expect(ImageDecodingError.tooLarge(width: 20000, height: 20000).description.contains("64 Mpixel"))
    }

    @Test func greyAndColourConvertLikePIL() {
        let colour = DecodedImage(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 10, 200, 30], colourMode: .rgb)
        // PIL: Image.new("RGB", ...).convert("L") gives 76 for pure red and 124 for (10, 200, 30).
        #expect(colour.converted(toChannels: 1).pixels == [76, 124])
        let grey = DecodedImage(width: 2, height: 1, channels: 1, pixels: [7, 9], colourMode: .grey)
        #expect(grey.converted(toChannels: 3).pixels == [7, 7, 7, 9, 9, 9])
    }
}
