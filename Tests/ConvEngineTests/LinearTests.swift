import ConvEngine
import Testing

@Suite struct LinearTests {
    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 4)
        let linear = Linear(12, 5, generator: &generator, pool: ThreadPool(threads: 2))
        let outcome = GradientCheck().check(linear, inputShape: [3, 3, 2, 2])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    /// A small batch (row by row, weight in place) gives what the same rows give inside a batch
    /// large enough for GEMM; the extra rows get a zero output gradient, so every gradient agrees.
    @Test(arguments: [1, 2])
    func smallBatchMatchesGEMMBatch(threads: Int) {
        let (inputs, outputs, small, large) = (37, 19, 3, 20)
        var first = RandomGenerator(seed: 6), second = RandomGenerator(seed: 6)
        let rows = Linear(inputs, outputs, generator: &first, pool: ThreadPool(threads: threads))
        let gemm = Linear(inputs, outputs, generator: &second, pool: ThreadPool(threads: threads))
        var generator = RandomGenerator(seed: 7)
        let values = (0..<(large * inputs)).map { _ in generator.uniform(-1, 1) }
        let gradients = (0..<(large * outputs)).map { i in i < small * outputs ? generator.uniform(-1, 1) : 0 }
        let y = rows.forward(
            Tensor(shape: [small, inputs], values: Array(values.prefix(small * inputs))), training: true)
        let expected = gemm.forward(Tensor(shape: [large, inputs], values: values), training: true)
        #expect(largestDifference(y.values, Array(expected.values.prefix(small * outputs))) < 1e-5)
        for layer in [rows, gemm] { layer.weight.gradient.fill(0.5) }
        let dx = rows.backward(Tensor(shape: [small, outputs], values: Array(gradients.prefix(small * outputs))))
        let expectedDx = gemm.backward(Tensor(shape: [large, outputs], values: gradients))
        #expect(dx.shape == [small, inputs])
        #expect(largestDifference(dx.values, Array(expectedDx.values.prefix(small * inputs))) < 1e-5)
        #expect(largestDifference(rows.weight.gradient.values, gemm.weight.gradient.values) < 1e-5)
        #expect(largestDifference(rows.bias.gradient.values, gemm.bias.gradient.values) < 1e-5)
        #expect(rows.bias.gradient.values.contains { $0 != 0 })
    }

    private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
