import ConvEngine
import Testing

@Suite struct Conv2dTests {
    @Test(arguments: [(1, 0, true), (1, 1, true), (2, 1, false), (2, 0, true)])
    func gradientsMatchFiniteDifferences(stride: Int, padding: Int, bias: Bool) {
        var generator = RandomGenerator(seed: 3)
        for threads in [1, 2] {
            let conv = Conv2d(
                2, 3, kernelSize: 3, stride: stride, padding: padding, bias: bias,
                generator: &generator, pool: ThreadPool(threads: threads))
            let outcome = GradientCheck().check(conv, inputShape: [3, 2, 6, 5])
            #expect(outcome.worst < 2e-3, "\(threads) threads: \(outcome)")
        }
    }

    /// Covers the im2col paths: strided, "same" padding one image at a time, several images per GEMM.
    @Test(arguments: [(2, 1, 2), (1, 1, 1), (1, 1, 5), (1, 0, 3)])
    func outputMatchesDirectConvolution(stride: Int, padding: Int, batch: Int) {
        var generator = RandomGenerator(seed: 5)
        let (c, oc, h, w, k) = (2, 4, 7, 6, 3)
        let conv = Conv2d(
            c, oc, kernelSize: k, stride: stride, padding: padding, generator: &generator,
            pool: ThreadPool(threads: 2))
        let x = Tensor(
            shape: [batch, c, h, w], values: (0..<(batch * c * h * w)).map { _ in generator.uniform(-1, 1) })
        let y = conv.forward(x, training: true)
        let (oh, ow) = ((h + 2 * padding - k) / stride + 1, (w + 2 * padding - k) / stride + 1)
        #expect(y.shape == [batch, oc, oh, ow])
        var worst: Float = 0
        for n in 0..<batch {
            for o in 0..<oc {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = conv.bias!.value[o]
                        for ci in 0..<c {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    sum +=
                                        conv.weight.value[((o * c + ci) * k + ky) * k + kx]
                                        * x[((n * c + ci) * h + iy) * w + ix]
                                }
                            }
                        }
                        worst = max(worst, abs(sum - y[((n * oc + o) * oh + oy) * ow + ox]))
                    }
                }
            }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func initialisationFollowsPyTorchBound() {
        var generator = RandomGenerator(seed: 9)
        let conv = Conv2d(16, 32, kernelSize: 3, generator: &generator, pool: ThreadPool(threads: 1))
        let bound = 1 / Float(16 * 9).squareRoot()
        let weights = conv.weight.value.values
        #expect(weights.allSatisfy { abs($0) <= bound })
        #expect(weights.max()! > 0.95 * bound && weights.min()! < -0.95 * bound)
        let mean = weights.reduce(0, +) / Float(weights.count)
        #expect(abs(mean) < 0.05 * bound)
        #expect(conv.bias!.value.values.allSatisfy { abs($0) <= bound })
    }
}
