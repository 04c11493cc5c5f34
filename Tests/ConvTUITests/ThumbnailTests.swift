import ConvProtocol
import ConvTUI
import Testing

@Suite struct ThumbnailTests {
    private func render(_ image: SampleImage, _ mode: ThumbnailMode, width: Int, height: Int) -> Buffer {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        Thumbnail(image: image, mode: mode).render(area: buffer.area, buffer: &buffer)
        return buffer
    }

    @Test func halfBlockTakesTopPixelAsForegroundAndBottomAsBackground() {
        let image = SampleImage(
            shape: ImageShape(channels: 1, height: 4, width: 2),
            pixels: [0, 0, 100, 100, 200, 200, 255, 255])
        let buffer = render(image, .halfBlock, width: 2, height: 2)
        #expect(buffer.lines == ["▀▀", "▀▀"])
        #expect(buffer[0, 0].style == Style(foreground: .gray(0), background: .gray(100)))
        #expect(buffer[1, 1].style == Style(foreground: .gray(200), background: .gray(255)))
    }

    @Test func colourImagesReadChannelPlanes() {
        // CHW: a red plane of 255, a green plane of 0, a blue plane of 128.
        let image = SampleImage(
            shape: ImageShape(channels: 3, height: 2, width: 2),
            pixels: [255, 255, 255, 255, 0, 0, 0, 0, 128, 128, 128, 128])
        let buffer = render(image, .halfBlock, width: 2, height: 1)
        #expect(buffer[0, 0].style == Style(foreground: .rgb(255, 0, 128), background: .rgb(255, 0, 128)))
    }

    @Test func shrinkingAveragesPixels() {
        // 4x2 grey: the left 2x2 block averages to 50, the right one to 200.
        let image = SampleImage(
            shape: ImageShape(channels: 1, height: 2, width: 4),
            pixels: [0, 100, 200, 200, 100, 0, 200, 200])
        let buffer = render(image, .halfBlock, width: 2, height: 1)
        #expect(buffer[0, 0].style.foreground == .gray(50))
        #expect(buffer[1, 0].style.background == .gray(200))
    }

    @Test func asciiRampFollowsLuminance() {
        let buffer = render(SampleRun.halves(), .ascii, width: 28, height: 14)
        let half = String(repeating: " ", count: 14) + String(repeating: "@", count: 14)
        #expect(buffer.lines == Array(repeating: half, count: 14))
        let grey = SampleImage(shape: ImageShape(channels: 1, height: 2, width: 1), pixels: [128, 128])
        #expect(render(grey, .ascii, width: 1, height: 1).lines == ["="])
    }

    @Test func colourImageInAscii() {
        let shape = SampleRun.color
        let buffer = render(SampleRun.halves(shape), .ascii, width: 32, height: 16)
        #expect(buffer.lines[0] == String(repeating: " ", count: 16) + String(repeating: "@", count: 16))
    }

    @Test func sizesAndScales() {
        #expect(Thumbnail.cellSize(of: SampleRun.grey, scale: 1) == (28, 14))
        #expect(Thumbnail.cellSize(of: SampleRun.color, scale: 0.5) == (16, 8))
        #expect(Thumbnail.largestScale(of: SampleRun.color, fitting: (100, 40)) == 2.5)
        #expect(Thumbnail.largestScale(of: SampleRun.color, fitting: (79, 40)) == 2)
        // The browser at 100x30 leaves 52x24 cells: one and a half times a 28x28 image is 42x21.
        #expect(Thumbnail.largestScale(of: SampleRun.grey, fitting: (52, 24)) == 1.5)
        #expect(Thumbnail.largestScale(of: SampleRun.color, fitting: (100, 48)) == 3)
        #expect(Thumbnail.largestScale(of: SampleRun.grey, fitting: (20, 10)) == 0.5)
    }
}
