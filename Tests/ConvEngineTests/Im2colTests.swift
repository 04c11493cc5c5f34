import ConvEngine
import Testing

/// The im2col kernels, through `Conv2d` held to im2col + GEMM: stride-1 unfolding (vector copies
/// that spill into later output lines) and the whole-plane "same"-padded unfold and fold
/// (`SamePaddedTaps`) against direct sums, for line widths and planes around the vector size
/// and several images, whose columns sit next to each other.
@Suite struct Im2colTests {
    @Test(arguments: [(3, 5, 0), (3, 3, 1), (2, 1, 0), (1, 2, 2), (2, 5, 2)])
    func strideOneConvolutionMatchesDirectSum(channels: Int, kernel: Int, padding: Int) {
        for (height, width) in [(3, 4), (4, 4), (5, 7), (7, 7), (14, 14), (9, 20), (6, 33)] {
            guard height + 2 * padding >= kernel, width + 2 * padding >= kernel else { continue }
            for threads in [1, 2] {
                var generator = RandomGenerator(seed: 11)
                let conv = Conv2d(
                    channels, 4, kernelSize: kernel, padding: padding, bias: false,
                    generator: &generator, pool: ThreadPool(threads: threads))
                conv.forcedAlgorithm = .im2col
                let n = 3, count = n * channels * height * width
                let x = Tensor(
                    shape: [n, channels, height, width],
                    values: (0..<count).map { Float(($0 * 37) % 23) / 8 - 1 })
                let y = conv.forward(x, training: false)
                let oh = height + 2 * padding - kernel + 1, ow = width + 2 * padding - kernel + 1
                var worst: Float = 0
                for image in 0..<n {
                    for o in 0..<4 {
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                var sum: Float = 0
                                for c in 0..<channels {
                                    for ky in 0..<kernel {
                                        for kx in 0..<kernel {
                                            let iy = oy + ky - padding, ix = ox + kx - padding
                                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                            let w = conv.weight.value[((o * channels + c) * kernel + ky) * kernel + kx]
                                            sum += w * x[((image * channels + c) * height + iy) * width + ix]
                                        }
                                    }
                                }
                                let got = y[((image * 4 + o) * oh + oy) * ow + ox]
                                worst = max(worst, abs(got - sum))
                            }
                        }
                    }
                }
                #expect(worst < 1e-4, "\(height)x\(width), \(threads) threads: largest difference \(worst)")
            }
        }
    }

    /// The input gradient of "same"-padded convolutions (the whole-plane fold) against the direct
    /// adjoint sum, one image per GEMM (wide planes) and several side by side (small ones).
    @Test(arguments: [(3, 1), (5, 2), (1, 0)])
    func samePaddedInputGradientMatchesDirectSum(kernel: Int, padding: Int) {
        for (height, width) in [(3, 4), (4, 4), (5, 7), (7, 7), (9, 20), (6, 33), (24, 24)] {
            for threads in [1, 2] {
                var generator = RandomGenerator(seed: 13)
                let (n, channels, outChannels) = (3, 2, 3)
                let conv = Conv2d(
                    channels, outChannels, kernelSize: kernel, padding: padding, bias: false,
                    generator: &generator, pool: ThreadPool(threads: threads))
                conv.forcedAlgorithm = .im2col
                let x = Tensor(
                    shape: [n, channels, height, width],
                    values: (0..<(n * channels * height * width)).map { _ in generator.uniform(-1, 1) })
                _ = conv.forward(x, training: true)
                let dy = Tensor(
                    shape: [n, outChannels, height, width],
                    values: (0..<(n * outChannels * height * width)).map { _ in generator.uniform(-1, 1) })
                let dx = conv.backward(dy)
                var worst: Float = 0
                for image in 0..<n {
                    for c in 0..<channels {
                        for iy in 0..<height {
                            for ix in 0..<width {
                                var sum: Float = 0
                                for o in 0..<outChannels {
                                    for ky in 0..<kernel {
                                        for kx in 0..<kernel {
                                            let oy = iy + padding - ky, ox = ix + padding - kx
                                            guard oy >= 0, oy < height, ox >= 0, ox < width else { continue }
                                            let w = conv.weight.value[((o * channels + c) * kernel + ky) * kernel + kx]
                                            sum += w * dy[((image * outChannels + o) * height + oy) * width + ox]
                                        }
                                    }
                                }
                                worst = max(worst, abs(dx[((image * channels + c) * height + iy) * width + ix] - sum))
                            }
                        }
                    }
                }
                #expect(worst < 1e-4, "\(height)x\(width), \(threads) threads: largest difference \(worst)")
            }
        }
    }
}
