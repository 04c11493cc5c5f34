import ConvProtocol
import ConvTUI
import Testing

@Suite struct ConfusionMatrixViewTests {
    private func render(cursor: MatrixPosition, theme: Theme = .color) -> Buffer {
        let matrix = ConfusionMatrix(counts: [[5, 1, 0], [2, 3, 0], [0, 0, 4]])
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 60, height: 7))
        ConfusionMatrixView(matrix: matrix, classNames: ["cat", "dog", "owl"], cursor: cursor, theme: theme)
            .render(area: buffer.area, buffer: &buffer)
        return buffer
    }

    @Test func countsHeadersAndTheSelectedCell() {
        let buffer = render(cursor: MatrixPosition(row: 1, column: 0))
        let pad = { (s: String) in s + String(repeating: " ", count: 60 - s.count) }
        #expect(
            buffer.lines == [
                pad("true ↓  predicted →"),
                pad("      cat   dog   owl"),
                pad("cat     5     1     0 "),
                pad("dog     2     3     0 "),
                pad("owl     0     0     4 "),
                pad(""),
                pad("true dog, predicted cat: 2 images (enter to browse)"),
            ])
        #expect(buffer[4, 3].style.modifiers.contains(.reverse))
        #expect(!buffer[4, 2].style.modifiers.contains(.reverse))
    }

    @Test func heatFollowsTheShareOfTheRow() {
        let buffer = render(cursor: MatrixPosition(row: 0, column: 0))
        #expect(buffer[8, 2].style.background == ConfusionMatrixView.heat(5.0 / 6, diagonal: true))
        #expect(buffer[20, 3].style.background == ConfusionMatrixView.heat(0, diagonal: false))
        #expect(buffer.lines[6].hasPrefix("cat: 5 correct"))
    }

    @Test func monochromeUsesAttributesOnly() {
        let buffer = render(cursor: MatrixPosition(row: 2, column: 2), theme: .monochrome)
        #expect(buffer[8, 2].style == Style(modifiers: .bold))
        #expect(buffer[14, 2].style == .plain)
        #expect(buffer[20, 2].style == Style(modifiers: .dim))
    }
}
