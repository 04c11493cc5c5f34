import ConvEngine
import Testing

@Suite struct LinearTests {
    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 4)
        let linear = Linear(12, 5, generator: &generator, pool: ThreadPool(threads: 2))
        let outcome = GradientCheck().check(linear, inputShape: [3, 3, 2, 2])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    /// A small batch (its product blocked) gives the very bits the same rows give inside a larger
    /// batch (a transposed product; its extra rows with a zero output gradient, so every gradient
    /// agrees), on 1 and 2 threads.
    @Test(arguments: [1, 2])
    func smallBatchGivesTheBitsOfALargerOne(threads: Int) {
        let (inputs, outputs, small, large) = (300, 120, 3, 40)
        var first = RandomGenerator(seed: 6), second = RandomGenerator(seed: 6)
        let rows = Linear(inputs, outputs, generator: &first, pool: ThreadPool(threads: threads))
        let batch = Linear(inputs, outputs, generator: &second, pool: ThreadPool(threads: threads))
        var generator = RandomGenerator(seed: 7)
        let values = (0..<(large * inputs)).map { _ in generator.uniform(-1, 1) }
        let gradients = (0..<(large * outputs)).map { i in i < small * outputs ? generator.uniform(-1, 1) : 0 }
        let y = rows.forward(
            Tensor(shape: [small, inputs], values: Array(values.prefix(small * inputs))), training: true)
        let expected = batch.forward(Tensor(shape: [large, inputs], values: values), training: true)
        #expect(bits(y.values) == bits(Array(expected.values.prefix(small * outputs))))
        for layer in [rows, batch] { layer.weight.gradient.fill(0.5) }
        let dx = rows.backward(Tensor(shape: [small, outputs], values: Array(gradients.prefix(small * outputs))))
        let expectedDx = batch.backward(Tensor(shape: [large, outputs], values: gradients))
        #expect(dx.shape == [small, inputs])
        #expect(bits(dx.values) == bits(Array(expectedDx.values.prefix(small * inputs))))
        #expect(bits(rows.weight.gradient.values) == bits(batch.weight.gradient.values))
        #expect(bits(rows.bias.gradient.values) == bits(batch.bias.gradient.values))
        #expect(rows.bias.gradient.values.contains { $0 != 0 })
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
}
