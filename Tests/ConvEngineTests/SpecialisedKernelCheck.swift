import ConvEngine
import Testing

/// Runs one batch forward and backward through a `Conv2d` left to choose its algorithm, through
/// identical ones forced to each other algorithm that suits the layer, and through one forced to
/// im2col + GEMM, with 1 and 2 threads, and expects the outputs, the input gradients and the
/// accumulated weight and bias gradients to agree with im2col's; then the same again on images of
/// each of `laterSizes` (height, width), where the layer left to choose changes its kernels.
///
/// The tolerance, relative to the largest expected magnitude, is 2e-5: Winograd F(4x4, 3x3)'s
/// transforms reach 4x the inputs, and over 256 channels its outputs differed from im2col's by
/// 1.03e-5. `WinogradF4Tests` holds that kernel to its own derived bound.
func expectSpecialisedKernelMatchesIm2col(
    c: Int, oc: Int, h: Int, w: Int, kernel k: Int, stride: Int, padding: Int,
    batch: Int, laterSizes: [(Int, Int)] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let tolerance: Float = 2e-5
    for threads in [1, 2] {
        let pool = ThreadPool(threads: threads)
        func layer(forcing algorithm: ConvAlgorithm?) -> Conv2d {
            var generator = RandomGenerator(seed: 21)
            let conv = Conv2d(c, oc, kernelSize: k, stride: stride, padding: padding, generator: &generator, pool: pool)
            conv.forcedAlgorithm = algorithm
            return conv
        }
        let chosen = layer(forcing: nil), reference = layer(forcing: .im2col)
        var generator = RandomGenerator(seed: 8)
        for (h, w) in [(h, w)] + laterSizes {
            let others = chosen.suitableAlgorithms(for: [c, h, w]).dropFirst().filter { $0 != .im2col }
            let layers =
                [("chosen \(chosen.algorithm(for: [c, h, w]))", chosen)]
                + others.map { ("forced \($0)", layer(forcing: $0)) }
            let x = Tensor(
                shape: [batch, c, h, w],
                values: (0..<(batch * c * h * w)).map { _ in generator.uniform(-1, 1) })
            let expected = reference.forward(x, training: true).values
            for (name, layer) in layers {
                let y = layer.forward(x, training: true).values
                #expect(y.count == expected.count, sourceLocation: sourceLocation)
                #expect(
                    largestDifference(y, expected) < tolerance, "\(name), \(threads) threads, \(h)x\(w): forward",
                    sourceLocation: sourceLocation)
            }

            let outShape = [batch] + reference.outputShape(for: [c, h, w])
            let dy = Tensor(shape: outShape, values: (0..<outShape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
            // Gradients accumulate: start all from the same non-zero values.
            for layer in [reference] + layers.map(\.1) {
                layer.weight.gradient.fill(0.5)
                layer.bias!.gradient.fill(-0.25)
            }
            let expectedDx = reference.backward(dy).values
            for (name, layer) in layers {
                let dx = layer.backward(dy).values
                #expect(
                    largestDifference(dx, expectedDx) < tolerance,
                    "\(name), \(threads) threads, \(h)x\(w): input gradient",
                    sourceLocation: sourceLocation)
                #expect(
                    largestDifference(layer.weight.gradient.values, reference.weight.gradient.values) < tolerance,
                    "\(name), \(threads) threads, \(h)x\(w): weight gradient", sourceLocation: sourceLocation)
                #expect(
                    largestDifference(layer.bias!.gradient.values, reference.bias!.gradient.values) < tolerance,
                    "\(name), \(threads) threads, \(h)x\(w): bias gradient", sourceLocation: sourceLocation)
            }
        }
    }
}

/// The largest absolute difference, relative to the largest expected magnitude when above 1.
private func largestDifference(_ a: [Float], _ expected: [Float]) -> Float {
    let scale = max(1, expected.map(abs).max() ?? 0)
    return zip(a, expected).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}
