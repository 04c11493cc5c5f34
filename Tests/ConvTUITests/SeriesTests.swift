import ConvTUI
import Testing

@Suite struct SeriesTests {
    @Test func keepsEveryPointUntilFull() {
        var series = Series(capacity: 8)
        for i in 0..<5 { series.append(ChartPoint(x: Double(i), y: Double(i * 10))) }
        #expect(series.points.map(\.y) == [0, 10, 20, 30, 40])
        #expect(series.bucketSize == 1)
    }

    @Test func staysBoundedAndAveragesOverLongRuns() {
        var series = Series(capacity: 16)
        for i in 0..<100_000 { series.append(ChartPoint(x: Double(i), y: 1)) }
        #expect(series.points.count <= 17)
        #expect(series.points.allSatisfy { $0.y == 1 })
        #expect(series.points.first!.x < 5_000)
        #expect(series.points.last!.x > 95_000)
    }

    @Test func halvingAveragesNeighbours() {
        var series = Series(capacity: 4)
        for (i, y) in [1.0, 3, 5, 7].enumerated() { series.append(ChartPoint(x: Double(i), y: y)) }
        #expect(series.points.map(\.y) == [2, 6])
        #expect(series.bucketSize == 2)
        series.append(ChartPoint(x: 4, y: 9))
        #expect(series.points.map(\.y) == [2, 6, 9])
    }

    @Test func nonFiniteValuesAreSkipped() {
        var series = Series(capacity: 4)
        series.append(ChartPoint(x: 0, y: .nan))
        series.append(ChartPoint(x: 1, y: .infinity))
        #expect(series.isEmpty)
    }

    @Test func truncatingReturnsThePointsPastXAndClosesTheLastBucket() {
        var series = Series(capacity: 4)
        for x in 1...5 { series.append(ChartPoint(x: Double(x), y: Double(x))) }
        // Four points halved into pairs, then 5 waiting for its pair.
        #expect(series.points == [ChartPoint(x: 1.5, y: 1.5), ChartPoint(x: 3.5, y: 3.5), ChartPoint(x: 5, y: 5)])
        #expect(series.truncate(after: 3) == [ChartPoint(x: 3.5, y: 3.5), ChartPoint(x: 5, y: 5)])
        #expect(series.points == [ChartPoint(x: 1.5, y: 1.5)])
        series.append(ChartPoint(x: 3, y: 9))
        series.append(ChartPoint(x: 4, y: 7))
        // A new bucket after the cut: the two new points average together, not with the kept one.
        #expect(series.points == [ChartPoint(x: 1.5, y: 1.5), ChartPoint(x: 3.5, y: 8)])
    }
}
