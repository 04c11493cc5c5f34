import ConvEngine
import Foundation
import Testing

@Suite struct SoftmaxCrossEntropyTests {
    @Test(arguments: [Float(0), 0.1])
    func gradientMatchesFiniteDifferences(smoothing: Float) {
        let loss = SoftmaxCrossEntropy(labelSmoothing: smoothing)
        let logits = Tensor(shape: [3, 4], values: GradientCheck.spacedValues(12, seed: 2).map { $0 * 4 })
        let labels = [2, 0, 3]
        _ = loss.forward(logits: logits, labels: labels)
        let analytic = loss.gradient.values
        var worst = 0.0
        let h: Float = 1e-2
        for i in 0..<12 {
            let saved = logits[i]
            logits[i] = saved + h
            let plus = Double(loss.forward(logits: logits, labels: labels).loss)
            logits[i] = saved - h
            let minus = Double(loss.forward(logits: logits, labels: labels).loss)
            logits[i] = saved
            worst = max(worst, abs((plus - minus) / Double(2 * h) - Double(analytic[i])))
        }
        #expect(worst < 1e-3, "largest difference \(worst)")
    }

    @Test func lossAndAccuracyMatchDefinition() {
        let loss = SoftmaxCrossEntropy(labelSmoothing: 0.2)
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0.5, -1, 0])
        let (value, correct) = loss.forward(logits: logits, labels: [2, 1])
        var expected = 0.0
        for (row, label) in [([1.0, 2, 3], 2), ([0.5, -1, 0], 1)] {
            let logSum = log(row.map { exp($0) }.reduce(0, +))
            for j in 0..<3 {
                let target = (j == label ? 0.8 : 0) + 0.2 / 3
                expected -= target * (row[j] - logSum) / 2
            }
        }
        #expect(abs(Double(value) - expected) < 1e-5, "loss \(value), expected \(expected)")
        #expect(correct == 1)
    }
}
