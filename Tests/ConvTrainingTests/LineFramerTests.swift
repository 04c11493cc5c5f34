import Testing

@testable import ConvTraining

@Suite struct LineFramerTests {
    private func feed(_ framer: inout LineFramer, _ text: String) throws -> [String] {
        try Array(text.utf8).withUnsafeBytes { try framer.append($0) }.map(String.init)
    }

    @Test func linesSplitAcrossReadsAreJoinedAndEmptyLinesKept() throws {
        var framer = LineFramer(maximumLineBytes: 16)
        #expect(try feed(&framer, "{\"a\"") == [])
        #expect(try feed(&framer, ":1}\n\n{\"b\":2}\n{\"c") == ["{\"a\":1}", "", "{\"b\":2}"])
        #expect(try feed(&framer, "\":3}\n") == ["{\"c\":3}"])
    }

    @Test func aLineAtTheBoundPassesAndOneByteMoreIsRefusedBeforeItsNewline() throws {
        var framer = LineFramer(maximumLineBytes: 8)
        #expect(try feed(&framer, "12345678\n") == ["12345678"])
        #expect(try feed(&framer, "1234") == [])
        #expect(throws: LineFramer.LineTooLong.self) { try feed(&framer, "56789") }
        var other = LineFramer(maximumLineBytes: 8)
        #expect(throws: LineFramer.LineTooLong.self) { try feed(&other, "123456789\nshort\n") }
    }
}
