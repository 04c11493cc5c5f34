import ConvTUI
import Testing

@Suite struct PredictionGridTests {
    @Test func halfSizeThumbnailsWithMarkedLabels() {
        let samples = SampleRun.evaluation(epoch: 1, step: 100).samples
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 9))
        PredictionGrid(samples: samples, classNames: SampleRun.classNames, mode: .ascii, theme: .color)
            .render(area: buffer.area, buffer: &buffer)
        let thumb = String(repeating: " ", count: 7) + String(repeating: "@", count: 7) + " "
        #expect(buffer.lines[0] == String(repeating: thumb, count: 5) + "     ")
        #expect(buffer.lines[7] == "✓ T-shirt/top  ✓ Trouser      ✓ Pullover     ✓ Dress        ✗ Shirt             ")
        #expect(buffer[0, 7].style == Theme.color[.right])
        #expect(buffer[60, 7].style == Theme.color[.wrong])
        #expect(buffer.lines[8].allSatisfy { $0 == " " })
    }

    @Test func fullSizeWhenThreeFit() {
        let grid = PredictionGrid(samples: SampleRun.evaluation(epoch: 1, step: 100).samples,
                                  classNames: SampleRun.classNames, mode: .halfBlock, theme: .color)
        let layout = grid.grid(in: Rect(x: 0, y: 0, width: 90, height: 15))
        #expect(layout?.cell.width == 28 && layout?.columns == 3 && layout?.rows == 1)
    }
}
