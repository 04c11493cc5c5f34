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

    @Test(.timeLimit(.minutes(1))) func aLineToAFarPointDrawsOnlyWhatShows() {
        var canvas = BrailleCanvas(columns: 2, rows: 2)
        // A trillion dots up, as a diverging loss lands on an axis zoomed in on the valley.
        canvas.line(from: (1, 5), to: (3, -1_000_000_000_000), style: .plain)
        canvas.line(from: (-1_000_000_000_000, 7), to: (-999_999_999_000, 7), style: .plain)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 2))
        canvas.render(x: 0, y: 0, buffer: &buffer)
        // Column 1 from row 5 up to the top edge: the rise of two columns over a trillion rows is lost.
        #expect(buffer.lines == ["⢸ ", "⠘ "])
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
