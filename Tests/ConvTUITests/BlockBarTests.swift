import ConvTUI
import Testing

@Suite struct BlockBarTests {
    private func render(_ fraction: Double, width: Int, track: Bool = true) -> String {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: 1))
        BlockBar(fraction: fraction, style: .plain, trackStyle: track ? .plain : nil)
            .render(area: buffer.area, buffer: &buffer)
        return buffer.lines[0]
    }

    @Test func wholeCellsAndEighths() {
        #expect(render(0.5, width: 4) == "██░░")
        #expect(render(0.3, width: 2) == "▋░")
        #expect(render(1 / 32, width: 4) == "▏░░░")
        #expect(render(1, width: 3) == "███")
    }

    @Test func outOfRangeValuesAreClamped() {
        #expect(render(-1, width: 3) == "░░░")
        #expect(render(7, width: 3) == "███")
        #expect(render(.nan, width: 2, track: false) == "  ")
    }
}
