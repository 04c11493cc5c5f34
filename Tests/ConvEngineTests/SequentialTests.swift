import ConvEngine
import Testing

@Suite struct SequentialTests {
    /// A ReLU followed by a max pool runs pool-first inside Sequential; the result must be that of
    /// the layers applied in their listed order, including windows with ties and no positive value.
    @Test(arguments: [1, 2])
    func reluBeforeMaxPoolMatchesListedOrder(threads: Int) {
        let pool = ThreadPool(threads: threads)
        let fused = Sequential([("relu", ReLU(pool: pool)), ("pool", MaxPool2d(kernelSize: 2, pool: pool))])
        let relu = ReLU(pool: pool), maxPool = MaxPool2d(kernelSize: 2, pool: pool)
        var generator = RandomGenerator(seed: 12)
        let shape = [3, 2, 6, 10]
        // Values on a coarse grid so that windows contain ties, zeros and only negatives.
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(Int(generator.uniform(-3, 2))) })
        let y = fused.forward(x, training: true).values
        let expected = maxPool.forward(relu.forward(x, training: true), training: true).values
        #expect(y == expected)
        #expect(y.contains(0) && y.contains { $0 > 0 })
        let dy = Tensor(shape: [3, 2, 3, 5], values: (0..<90).map { _ in generator.uniform(-1, 1) })
        let dx = fused.backward(dy).values
        let expectedDx = relu.backward(maxPool.backward(dy)).values
        #expect(dx == expectedDx)
        #expect(dx.contains { $0 != 0 })
    }
}
