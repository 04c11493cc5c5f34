import ConvTUI
import Testing

@Suite struct BrailleCanvasTests {
    @Test func eachDotHasItsOwnBit() {
        var canvas = BrailleCanvas(columns: 2, rows: 1)
        canvas.set(x: 0, y: 0, style: .plain)
        canvas.set(x: 1, y: 3, style: .plain)
        canvas.set(x: 2, y: 1, style: .plain)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 1))
        canvas.render(x: 0, y: 0, buffer: &buffer)
        #expect(buffer.lines == ["⢁⠂"])
    }

    @Test func aDiagonalLineCrossesCells() {
        var canvas = BrailleCanvas(columns: 2, rows: 2)
        canvas.line(from: (0, 0), to: (3, 7), style: .plain)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 2))
        canvas.render(x: 0, y: 0, buffer: &buffer)
        // Bresenham visits (0,0) (0,1) (1,2) (1,3) in the first cell and the same pattern in the last.
        #expect(buffer.lines == ["⢣ ", " ⢣"])
    }

    @Test func dotsOutsideTheCanvasAreIgnored() {
        var canvas = BrailleCanvas(columns: 1, rows: 1)
        canvas.set(x: 2, y: 0, style: .plain)
        canvas.set(x: -1, y: 0, style: .plain)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 1))
        canvas.render(x: 0, y: 0, buffer: &buffer)
        #expect(buffer.lines == ["  "])
    }
}
