import ConvTUI
import Testing

@Suite struct BufferTests {
    @Test func setStringClipsAtTheEdgeAndAtMaxWidth() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 2))
        let end = buffer.setString(x: 2, y: 0, "abcdef")
        buffer.setString(x: 0, y: 1, "xyz", maxWidth: 2)
        #expect(end == 6)
        #expect(buffer.lines == ["  abcd", "xy    "])
    }

    @Test func writesOutsideTheAreaAreIgnored() {
        var buffer = Buffer(area: Rect(x: 2, y: 1, width: 3, height: 1))
        buffer[0, 0] = Cell("X")
        buffer.setString(x: 1, y: 1, "abcde")
        #expect(buffer.lines == ["bcd"])
        #expect(buffer[0, 0] == .blank)
    }

    @Test func diffListsOnlyChangedCells() {
        let before = Buffer(lines: ["abc", "def"])
        var after = before
        after[1, 0] = Cell("B")
        after.setStyle(Rect(x: 2, y: 1, width: 1, height: 1), Style(modifiers: .bold))
        let changes = after.diff(from: before)
        #expect(changes.map { "\($0.x),\($0.y),\($0.cell.symbol)" } == ["1,0,B", "2,1,f"])
        #expect(changes[1].cell.style.modifiers == .bold)
    }

    @Test func diffAgainstAnotherSizeSendsEverything() {
        let small = Buffer(lines: ["ab"])
        let large = Buffer(lines: ["ab", "cd"])
        #expect(large.diff(from: small).count == 4)
    }

    @Test func memoryTerminalSendsOnlyChangesBetweenFrames() {
        var terminal = MemoryTerminal(width: 4, height: 2)
        terminal.draw(Buffer(lines: ["abcd", "efgh"]))
        #expect(terminal.lastChangedCells == 8)
        terminal.draw(Buffer(lines: ["abXd", "efgh"]))
        #expect(terminal.lastChangedCells == 1)
        #expect(terminal.lines == ["abXd", "efgh"])
    }
}

@Suite struct BufferANSITests {
    @Test func linesCarryEachStyleChangeOnceAndEndReset() {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 3, height: 1))
        buffer.setString(x: 0, y: 0, "ab", style: Style(foreground: .rgb(1, 2, 3), background: .indexed(200)))
        buffer.setString(x: 2, y: 0, "c", style: Style(modifiers: .bold))
        #expect(buffer.ansiLines == ["\u{1B}[0;38;2;1;2;3;48;5;200mab\u{1B}[0;1mc\u{1B}[0m"])
    }
}
