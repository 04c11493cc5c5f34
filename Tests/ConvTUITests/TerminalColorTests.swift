import ConvTUI
import Testing

@Suite struct TerminalColorTests {
    @Test func greysUseTheGreyRampIn256Colours() {
        #expect(TerminalColor.number(.gray(128), depth: .palette256) == 244)
        #expect(TerminalColor.number(.gray(8), depth: .palette256) == 232)
        #expect(TerminalColor.number(.gray(238), depth: .palette256) == 255)
    }

    @Test func saturatedColoursUseTheCube() {
        #expect(TerminalColor.number(.rgb(255, 0, 0), depth: .palette256) == 196)
        #expect(TerminalColor.number(.rgb(0, 0, 255), depth: .palette256) == 21)
        #expect(TerminalColor.number(.rgb(95, 135, 175), depth: .palette256) == 16 + 36 * 1 + 6 * 2 + 3)
    }

    @Test func directColourPacksRGB() {
        #expect(TerminalColor.number(.rgb(1, 2, 3), depth: .direct) == 0x010203)
        #expect(TerminalColor.number(.indexed(3), depth: .direct) == 3)
        #expect(TerminalColor.number(.indexed(196), depth: .direct) == 0xFF0000)
    }

    @Test func basicTerminalsGetTheNearestAnsiColour() {
        #expect(TerminalColor.number(.rgb(250, 20, 20), depth: .basic) == 1)
        #expect(TerminalColor.number(.indexed(12), depth: .basic) == 4)
        #expect(TerminalColor.number(.gray(200), depth: .basic) == 7)
    }

    @Test func defaultAndMonochromeAreMinusOne() {
        #expect(TerminalColor.number(.reset, depth: .direct) == -1)
        #expect(TerminalColor.number(.red, depth: .monochrome) == -1)
    }

    @Test func paletteRoundTrips() {
        for i in [16, 100, 196, 231, 232, 250] {
            let (r, g, b) = TerminalColor.rgb(ofPaletteIndex: UInt8(i))
            #expect(TerminalColor.nearest256(r, g, b) == Int32(i))
        }
    }
}
