import Testing
import ConvEngine

/// Runs one batch forward and backward through a `Conv2d` allowed its specialised kernel and
/// through an identical one held to im2col + GEMM, with 1 and 2 threads, and expects the output,
/// the input gradient and the accumulated weight and bias gradients to agree; then the same two
/// layers again on images of each of `laterSizes` (height, width).
func expectSpecialisedKernelMatchesIm2col(c: Int, oc: Int, h: Int, w: Int, kernel k: Int, stride: Int, padding: Int,
                                          batch: Int, laterSizes: [(Int, Int)] = [],
                                          sourceLocation: SourceLocation = #_sourceLocation) {
    for threads in [1, 2] {
        let pool = ThreadPool(threads: threads)
        var first = RandomGenerator(seed: 21), second = RandomGenerator(seed: 21)
        let specialised = Conv2d(c, oc, kernelSize: k, stride: stride, padding: padding, generator: &first, pool: pool)
        let reference = Conv2d(c, oc, kernelSize: k, stride: stride, padding: padding, generator: &second, pool: pool)
        reference.allowsSpecialisedKernels = false
        var generator = RandomGenerator(seed: 8)
        for (h, w) in [(h, w)] + laterSizes {
            let x = Tensor(shape: [batch, c, h, w],
                           values: (0..<(batch * c * h * w)).map { _ in generator.uniform(-1, 1) })
            let y = specialised.forward(x, training: true).values
            let expected = reference.forward(x, training: true).values
            #expect(y.count == expected.count, sourceLocation: sourceLocation)
            #expect(largestDifference(y, expected) < 1e-5, "\(threads) threads, \(h)x\(w): forward",
                    sourceLocation: sourceLocation)

            let outShape = [batch] + specialised.outputShape(for: [c, h, w])
            let dy = Tensor(shape: outShape, values: (0..<outShape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
            // Gradients accumulate: start both from the same non-zero values.
            for layer in [specialised, reference] {
                layer.weight.gradient.fill(0.5)
                layer.bias!.gradient.fill(-0.25)
            }
            let dx = specialised.backward(dy).values
            let expectedDx = reference.backward(dy).values
            #expect(largestDifference(dx, expectedDx) < 1e-5, "\(threads) threads, \(h)x\(w): input gradient",
                    sourceLocation: sourceLocation)
            #expect(largestDifference(specialised.weight.gradient.values, reference.weight.gradient.values) < 1e-5,
                    "\(threads) threads, \(h)x\(w): weight gradient", sourceLocation: sourceLocation)
            #expect(largestDifference(specialised.bias!.gradient.values, reference.bias!.gradient.values) < 1e-5,
                    "\(threads) threads, \(h)x\(w): bias gradient", sourceLocation: sourceLocation)
        }
    }
}

/// The largest absolute difference, relative to the largest expected magnitude when above 1.
private func largestDifference(_ a: [Float], _ expected: [Float]) -> Float {
    let scale = max(1, expected.map(abs).max() ?? 0)
    return zip(a, expected).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}
