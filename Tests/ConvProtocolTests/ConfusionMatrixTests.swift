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
}
