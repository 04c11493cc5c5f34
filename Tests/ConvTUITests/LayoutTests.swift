import ConvTUI
import Testing

@Suite struct LayoutTests {
    @Test func fixedPartsThenFillsShareTheRest() {
        let parts = Rect(x: 0, y: 0, width: 10, height: 24).split(.vertical, [.length(2), .fill(1), .length(1)])
        #expect(parts.map(\.height) == [2, 21, 1])
        #expect(parts.map(\.y) == [0, 2, 23])
    }

    @Test func fillsSplitByWeightAndTheLastTakesTheRemainder() {
        let parts = Rect(x: 5, y: 0, width: 10, height: 1).split(.horizontal, [.fill(1), .fill(2)])
        #expect(parts.map(\.width) == [3, 7])
        #expect(parts.map(\.x) == [5, 8])
    }

    @Test func spacingIsLeftBetweenParts() {
        let parts = Rect(x: 0, y: 0, width: 80, height: 1).split(.horizontal, [.percentage(60), .fill(1)], spacing: 2)
        #expect(parts.map(\.width) == [46, 32])
        #expect(parts[1].x == 48)
    }

    @Test func partsNeverExceedTheWhole() {
        let parts = Rect(x: 0, y: 0, width: 5, height: 5).split(.vertical, [.length(4), .length(4), .fill(1)])
        #expect(parts.map(\.height) == [4, 1, 0])
        #expect(parts.allSatisfy { $0.bottom <= 5 })
    }
}
