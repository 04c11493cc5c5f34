import Testing
import ConvEngine

@Suite struct Conv2dTests {
    @Test(arguments: [(1, 0, true), (1, 1, true), (2, 1, false), (2, 0, true)])
    func gradientsMatchFiniteDifferences(stride: Int, padding: Int, bias: Bool) {
        var generator = RandomGenerator(seed: 3)
        for threads in [1, 2] {
            let conv = Conv2d(2, 3, kernelSize: 3, stride: stride, padding: padding, bias: bias,
                              generator: &generator, pool: ThreadPool(threads: threads))
            let outcome = GradientCheck().check(conv, inputShape: [3, 2, 6, 5])
            #expect(outcome.worst < 2e-3, "\(threads) threads: \(outcome)")
        }
    }

    @Test func outputMatchesDirectConvolution() {
        var generator = RandomGenerator(seed: 5)
        let conv = Conv2d(2, 4, kernelSize: 3, stride: 2, padding: 1, generator: &generator, pool: ThreadPool(threads: 2))
        let x = Tensor(shape: [2, 2, 7, 6], values: (0..<168).map { _ in generator.uniform(-1, 1) })
        let y = conv.forward(x, training: true)
        #expect(y.shape == [2, 4, 4, 3])
        var worst: Float = 0
        for n in 0..<2 {
            for o in 0..<4 {
                for oy in 0..<4 {
                    for ox in 0..<3 {
                        var sum = conv.bias!.value[o]
                        for c in 0..<2 {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                                    guard iy >= 0, iy < 7, ix >= 0, ix < 6 else { continue }
                                    sum += conv.weight.value[((o * 2 + c) * 3 + ky) * 3 + kx] * x[((n * 2 + c) * 7 + iy) * 6 + ix]
                                }
                            }
                        }
                        worst = max(worst, abs(sum - y[((n * 4 + o) * 4 + oy) * 3 + ox]))
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
