import Testing
import ConvEngine

/// The direct kernels of narrow stride-1 convolutions against im2col + GEMM on the same layer.
@Suite struct DirectConvTests {
    /// (channels, out channels, height, width, kernel, padding, batch): LeNet's two convs, then
    /// odd sizes: rows narrower than a vector, rows ending in an overlapping vector, kernels that
    /// are not 5 wide, padding.
    @Test(arguments: [
        (3, 6, 32, 32, 5, 0, 3), (6, 16, 14, 14, 5, 0, 2), (2, 5, 9, 11, 3, 1, 3),
        (4, 7, 17, 23, 5, 2, 5), (1, 16, 5, 6, 5, 0, 1), (5, 3, 8, 40, 7, 3, 2),
    ])
    func matchesIm2colGEMM(c: Int, oc: Int, h: Int, w: Int, k: Int, padding: Int, batch: Int) {
        for threads in [1, 2] {
            let pool = ThreadPool(threads: threads)
            var first = RandomGenerator(seed: 21), second = RandomGenerator(seed: 21)
            let direct = Conv2d(c, oc, kernelSize: k, padding: padding, generator: &first, pool: pool)
            let reference = Conv2d(c, oc, kernelSize: k, padding: padding, generator: &second, pool: pool)
            reference.allowsDirectKernel = false
            var generator = RandomGenerator(seed: 8)
            let x = Tensor(shape: [batch, c, h, w], values: (0..<(batch * c * h * w)).map { _ in generator.uniform(-1, 1) })
            let y = direct.forward(x, training: true).values
            let expected = reference.forward(x, training: true).values
            #expect(y.count == expected.count)
            #expect(largestDifference(y, expected) < 1e-5, "\(threads) threads: forward")

            let outShape = [batch] + direct.outputShape(for: [c, h, w])
            let dy = Tensor(shape: outShape, values: (0..<outShape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
            // Gradients accumulate: start both from the same non-zero values.
            for layer in [direct, reference] {
                layer.weight.gradient.fill(0.5)
                layer.bias!.gradient.fill(-0.25)
            }
            let dx = direct.backward(dy).values
            let expectedDx = reference.backward(dy).values
            #expect(largestDifference(dx, expectedDx) < 1e-5, "\(threads) threads: input gradient")
            #expect(largestDifference(direct.weight.gradient.values, reference.weight.gradient.values) < 1e-5,
                    "\(threads) threads: weight gradient")
            #expect(largestDifference(direct.bias!.gradient.values, reference.bias!.gradient.values) < 1e-5,
                    "\(threads) threads: bias gradient")
        }
    }

    @Test func firstLayerSkipsInputGradient() {
        var generator = RandomGenerator(seed: 4)
        let conv = Conv2d(3, 6, kernelSize: 5, generator: &generator, pool: ThreadPool(threads: 2))
        conv.computesInputGradient = false
        let x = Tensor(shape: [2, 3, 12, 12], values: (0..<864).map { _ in generator.uniform(-1, 1) })
        _ = conv.forward(x, training: true)
        let dy = Tensor(shape: [2, 6, 8, 8], values: (0..<768).map { _ in generator.uniform(-1, 1) })
        _ = conv.backward(dy)
        #expect(conv.weight.gradient.values.contains { $0 != 0 })
    }

    /// The largest absolute difference, relative to the largest expected magnitude when above 1.
    private func largestDifference(_ a: [Float], _ expected: [Float]) -> Float {
        let scale = max(1, expected.map(abs).max() ?? 0)
        return zip(a, expected).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
    }
}
