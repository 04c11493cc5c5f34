import ConvProtocol
import Testing

@Suite struct ConfusionMatrixTests {
    @Test func perClassAccuracyCountsTheDiagonal() {
        var matrix = ConfusionMatrix(classes: 3)
        matrix.record(trueLabel: 0, predicted: 0)
        matrix.record(trueLabel: 0, predicted: 1)
        matrix.record(trueLabel: 1, predicted: 1)
        #expect(matrix.perClassAccuracy == [0.5, 1, 0])
        #expect(matrix.counts[0] == [1, 1, 0])
    }

    @Test func mostConfusedListsOffDiagonalCellsMostFirstTiesInRowOrder() {
        let matrix = ConfusionMatrix(counts: [
            [50, 3, 7, 0],
            [3, 40, 0, 1],
            [9, 3, 30, 2],
            [0, 0, 7, 20],
        ])
        let list = matrix.mostConfused().map { [$0.trueLabel, $0.predictedLabel, $0.count] }
        #expect(
            list == [[2, 0, 9], [0, 2, 7], [3, 2, 7], [0, 1, 3], [1, 0, 3], [2, 1, 3], [2, 3, 2], [1, 3, 1]])
        #expect(matrix.mostConfused(minimum: 4).map(\.count) == [9, 7, 7])
        #expect(ConfusionMatrix(counts: [[5, 0], [0, 5]]).mostConfused().isEmpty)
    }

    @Test func aMonitoredFigureImprovesByMoreThanTheMinimumChange() {
        #expect(MonitoredFigure.validationLoss.improves(0.5, on: nil, minimumChange: 0))
        #expect(MonitoredFigure.validationLoss.improves(0.49, on: 0.5, minimumChange: 0))
        #expect(!MonitoredFigure.validationLoss.improves(0.5, on: 0.5, minimumChange: 0))
        #expect(!MonitoredFigure.testLoss.improves(0.495, on: 0.5, minimumChange: 0.01))
        #expect(MonitoredFigure.testAccuracy.improves(0.62, on: 0.6, minimumChange: 0.01))
        #expect(!MonitoredFigure.validationAccuracy.improves(0.55, on: 0.6, minimumChange: 0))
        #expect(!MonitoredFigure.validationLoss.improves(.nan, on: nil, minimumChange: 0))
        #expect(!MonitoredFigure.validationLoss.improves(-.infinity, on: 0.5, minimumChange: 0))
    }
}
