import ConvData
import Testing

@Suite struct ASCIIThumbnailTests {
    @Test func greyImagesUseTheRampTwoRowsPerLine() {
        // 4 rows x 3 columns: rows 0-1 average to 0 / 128 / 255, rows 2-3 to white / black / mid.
        let pixels: [UInt8] = [
            0, 100, 255,
            0, 156, 255,
            255, 0, 128,
            255, 0, 128,
        ]
        let lines = ASCIIThumbnail.lines(pixels[...], dimensions: ImageDimensions(channels: 1, height: 4, width: 3))
        // Level = brightness / 256 * 10: 128 is level 5, "+".
        #expect(lines == [" +@", "@ +"])
    }

    @Test func colourImagesUseTheirLuminance() {
        // One pixel per plane: pure green is brighter than pure red, which is brighter than blue.
        func line(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> String {
            ASCIIThumbnail.lines([r, g, b][...], dimensions: ImageDimensions(channels: 3, height: 1, width: 1))[0]
        }
        #expect(line(0, 255, 0) == "+")
        #expect(line(255, 0, 0) == ":")
        #expect(line(0, 0, 255) == ".")
        #expect(line(255, 255, 255) == "@")
    }

    @Test func drawsAnImageTakenFromASet() {
        let dims = ImageDimensions(channels: 1, height: 2, width: 2)
        let set = ImageSet(dimensions: dims, pixels: [0, 0, 0, 0, 255, 255, 255, 255], labels: [0, 1])
        #expect(ASCIIThumbnail.lines(set.image(at: 1), dimensions: dims) == ["@@"])
        #expect(ASCIIThumbnail.lines(set.image(at: 0), dimensions: dims) == ["  "])
    }
}
