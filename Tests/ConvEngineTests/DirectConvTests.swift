import ConvEngine
import Testing

/// The direct kernels of narrow stride-1 convolutions against im2col + GEMM on the same layer.
@Suite struct DirectConvTests {
    /// (channels, out channels, height, width, kernel, padding, batch): LeNet's two convs, then
    /// odd sizes: rows narrower than a vector, rows ending in an overlapping vector, a kernel
    /// wider than 5, padding. The last three keep output channels in the weight gradient's lanes
    /// with a 7x7 kernel (two blocks of rows and columns, the second partial) and padding; the
    /// forward pass keeps them in its lanes too in LeNet's second conv, in the 7x7 kernel's 7x11
    /// map (the last block of rows and of columns overlapping the one before) and in a padded
    /// map exactly one block wide.
    @Test(arguments: [
        (3, 6, 32, 32, 5, 0, 3), (6, 16, 14, 14, 5, 0, 2), (2, 5, 9, 11, 5, 1, 3),
        (4, 7, 17, 23, 5, 2, 5), (1, 16, 5, 6, 5, 0, 1), (5, 3, 8, 40, 7, 3, 2),
        (3, 12, 9, 13, 7, 2, 2), (2, 9, 20, 7, 7, 1, 3), (4, 10, 6, 5, 5, 2, 2),
    ])
    func matchesIm2colGEMM(c: Int, oc: Int, h: Int, w: Int, k: Int, padding: Int, batch: Int) {
        expectSpecialisedKernelMatchesIm2col(
            c: c, oc: oc, h: h, w: w, kernel: k, stride: 1, padding: padding,
            batch: batch)
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
}
