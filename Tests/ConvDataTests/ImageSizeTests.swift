import Testing

@testable import ConvData

@Suite struct ImageSizeTests {
    @Test func readsASideOrWidthByHeight() {
        #expect(ImageSize(parsing: "32") == ImageSize(width: 32, height: 32))
        #expect(ImageSize(parsing: "48x32") == ImageSize(width: 48, height: 32))
        #expect(ImageSize(parsing: "48X32") == ImageSize(width: 48, height: 32))
        for bad in ["", "0", "-3", "x3", "3x", "3x0", "3x4x5", "three", "3 x 4"] {
            #expect(ImageSize(parsing: bad) == nil, "\(bad)")
        }
        #expect(ImageSize(width: 48, height: 32).description == "48x32")
        #expect(ImageSize(width: 7, height: 7).description == "7")
    }

    @Test func coveringKeepsTheAspectRatioAndReachesBothSides() {
        let wide = ImageSize(width: 20, height: 10)
        #expect(wide.covering(width: 90, height: 30) == (30, 10))
        #expect(wide.covering(width: 40, height: 40) == (20, 20))
        #expect(wide.covering(width: 100, height: 10) == (100, 10))
        let square: ImageSize = 8
        #expect(square.covering(width: 16, height: 32) == (8, 16))
        #expect(square.covering(width: 33, height: 11) == (24, 8))
    }
}
