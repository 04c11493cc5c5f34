import ConvTUI
import Testing

@Suite struct ClassAccuracyBarsTests {
    @Test func barsValuesAndChanges() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 30, height: 3))
        ClassAccuracyBars(names: ["cat", "dog"], accuracy: [0.5, 1], previous: [0.25, 1], theme: .color)
            .render(area: buffer.area, buffer: &buffer)
        #expect(
            buffer.lines == [
                "cat ██████░░░░░░  50.0% +25.0 ",
                "dog ████████████ 100.0%  +0.0 ",
                "                              ",
            ])
        #expect(buffer[24, 0].style == Theme.color[.increase])
        #expect(buffer[24, 1].style == Theme.color[.dim])
    }

    @Test func noChangeColumnBeforeASecondEvaluation() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 30, height: 1))
        ClassAccuracyBars(names: ["cat"], accuracy: [0.25], previous: nil, theme: .monochrome)
            .render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines == ["cat ███░░░░░░░░░  25.0%       "])
    }

    @Test func aDropIsMarked() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 30, height: 1))
        ClassAccuracyBars(names: ["cat"], accuracy: [0.5], previous: [0.625], theme: .color)
            .render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines[0].hasSuffix(" 50.0% -12.5 "))
        #expect(buffer[24, 0].style == Theme.color[.decrease])
    }
}
