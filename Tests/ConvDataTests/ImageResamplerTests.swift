import Testing

@testable import ConvData

@Suite struct ImageResamplerTests {
    static func grey(width: Int, height: Int, _ value: (Int, Int) -> UInt8) -> DecodedImage {
        var pixels = [UInt8]()
        for y in 0..<height { for x in 0..<width { pixels.append(value(x, y)) } }
        return DecodedImage(width: width, height: height, channels: 1, pixels: pixels, colourMode: .grey)
    }

    @Test func downscalingAOnePixelCheckerboardAveragesInsteadOfAliasing() {
        // Point sampling 500 -> 32 would pick nearly all-black or all-white pixels in bands.
        let checkerboard = Self.grey(width: 500, height: 500) { x, y in (x + y) % 2 == 0 ? 0 : 255 }
        let small = ImageResampler.centreCrop(checkerboard, to: 32)
        #expect(small.count == 32 * 32)
        #expect(small.allSatisfy { (124...131).contains($0) }, "range \(small.min()!)...\(small.max()!)")
    }

    @Test func theSameSizeIsCopiedExactlyIntoPlanes() {
        let rgb = DecodedImage(width: 2, height: 2, channels: 3, pixels: Array(1...12), colourMode: .rgb)
        #expect(ImageResampler.centreCrop(rgb, to: 2) == [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12])
    }

    @Test func flatImagesStayFlatAtAnyScale() {
        for (width, height, size) in [(7, 5, 32), (300, 40, 16), (24, 200, 8), (3, 3, 9)] {
            let flat = Self.grey(width: width, height: height) { _, _ in 173 }
            #expect(
                ImageResampler.centreCrop(flat, to: ImageSize(integerLiteral: size))
                    == [UInt8](repeating: 173, count: size * size))
        }
    }

    @Test func upscalingInterpolatesBetweenNeighbours() {
        let ramp = Self.grey(width: 2, height: 2) { x, _ in x == 0 ? 0 : 200 }
        let row = Array(ImageResampler.centreCrop(ramp, to: 4).prefix(4))
        // PIL's bilinear 2 -> 4: 0, 50, 150, 200.
        #expect(row == [0, 50, 150, 200])
    }

    @Test func theShorterSideIsScaledAndTheCentreKept() {
        // 90x30: left, middle and right thirds at 10, 128 and 240. Scaled to 30x10 and cropped to
        // the centre 10x10, only the middle third remains; the filter reaches the neighbouring
        // thirds from the outermost columns only.
        let thirds = Self.grey(width: 90, height: 30) { x, _ in x < 30 ? 10 : x < 60 ? 128 : 240 }
        let square = ImageResampler.centreCrop(thirds, to: 10)
        for y in 0..<10 {
            #expect(square[(y * 10 + 1)..<(y * 10 + 9)].allSatisfy { $0 == 128 })
            #expect(square[y * 10] < 128 && square[y * 10] > 69 && square[y * 10 + 9] > 128 && square[y * 10 + 9] < 184)
        }
        // Portrait: 20x60 with a top, middle and bottom third; centre 20x20 is the middle.
        let tall = Self.grey(width: 20, height: 60) { _, y in y < 20 ? 0 : y < 40 ? 90 : 255 }
        #expect(ImageResampler.centreCrop(tall, to: 20) == [UInt8](repeating: 90, count: 400))
    }

    @Test func aWideSizeCoversTheImageAndKeepsItsCentre() {
        // 90x30 in thirds (10, 128, 240) to 20x10: scaled to 30x10 and the centre 20 columns kept,
        // so the output's columns 0-3 come from the left third, 6-13 the middle, 16-19 the right.
        let thirds = Self.grey(width: 90, height: 30) { x, _ in x < 30 ? 10 : x < 60 ? 128 : 240 }
        let wide = ImageResampler.centreCrop(thirds, to: ImageSize(width: 20, height: 10))
        #expect(wide.count == 200)
        for y in 0..<10 {
            let row = wide[(y * 20)..<(y * 20 + 20)]
            #expect(row.prefix(4).allSatisfy { $0 == 10 })
            #expect(row.dropFirst(6).prefix(8).allSatisfy { $0 == 128 })
            #expect(row.suffix(4).allSatisfy { $0 == 240 })
        }
    }
}
