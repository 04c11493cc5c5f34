import ConvEngine
import Testing

/// `BF16DirectConv`, which a 3x3 "same" layer runs in bf16, against the same layer in fp32
/// (im2col + GEMM). Each output and gradient element is a sum of `k` products of bf16-rounded
/// operands accumulated in fp32, so it may be off by the bf16 product bound (`BF16Bound`) of its
/// own sum; the sum of its terms' magnitudes is the same pass computed in fp32 on the operands'
/// absolute values.
@Suite(.enabled(if: ConvAlgorithm.bf16Direct.isSupported, "this CPU or OS runs no AMX-BF16"))
struct BF16DirectConvTests {
    static let cases = [
        // Odd channels (half a channel pair) and an odd width (rows of w + 3), 9 outputs (a
        // partial 16-channel block).
        ConvLayerCase(channels: 5, outChannels: 9, height: 7, width: 11, batch: 3, threads: 2),
        // One image on two threads: the forward pass shares out its output-channel blocks (3,
        // an odd number: the last pair is one block).
        ConvLayerCase(channels: 16, outChannels: 40, height: 16, width: 16, batch: 1, threads: 2),
        // Six images on one thread: the weight gradient sums two groups of images; two blocks
        // of 16 channels on each side of its tiles.
        ConvLayerCase(channels: 32, outChannels: 32, height: 32, width: 32, batch: 6, threads: 1),
        // A first layer's 3 channels (a tile depth of 2 channel pairs); 4x4 maps, where most of
        // a block of 32 outputs is padding.
        ConvLayerCase(channels: 3, outChannels: 32, height: 8, width: 8, batch: 4, threads: 2),
        ConvLayerCase(channels: 24, outChannels: 16, height: 4, width: 4, batch: 5, threads: 2),
    ]

    @Test(arguments: cases)
    func passesAreWithinTheBF16Bound(_ kase: ConvLayerCase) {
        let pool = ThreadPool(threads: kase.threads)
        let (c, oc, h, w, n) = (kase.channels, kase.outChannels, kase.height, kase.width, kase.batch)
        func layer(_ precision: Precision) -> Conv2d {
            var generator = RandomGenerator(seed: 5)
            let conv = Conv2d(c, oc, kernelSize: 3, padding: 1, generator: &generator, pool: pool)
            conv.precision = precision
            return conv
        }
        let exact = layer(.fp32), rounded = layer(.bf16), magnitude = layer(.fp32)
        #expect(rounded.algorithm(for: [c, h, w]) == .bf16Direct)
        for parameter in magnitude.parameters {
            for i in 0..<parameter.value.count { parameter.value[i] = abs(parameter.value[i]) }
        }
        var generator = RandomGenerator(seed: 9)
        let x = PrecisionTests.randomTensor([n, c, h, w], &generator)
        let dy = PrecisionTests.randomTensor([n, oc, h, w], &generator)

        let y = exact.forward(x, training: true).values, yb = rounded.forward(x, training: true).values
        let ym = magnitude.forward(Tensor(shape: x.shape, values: x.values.map(abs)), training: true).values
        let dx = exact.backward(dy).values, dxb = rounded.backward(dy).values
        let dxm = magnitude.backward(Tensor(shape: dy.shape, values: dy.values.map(abs))).values

        func worst(_ got: [Float], _ expected: [Float], _ sums: [Float], k: Int) -> Double {
            #expect(got.count == expected.count)
            return got.indices.map { i in
                abs(Double(got[i]) - Double(expected[i])) / BF16Bound.productError(k: k, magnitude: Double(sums[i]))
            }.max() ?? 0
        }
        let forward = worst(yb, y, ym, k: c * 9), input = worst(dxb, dx, dxm, k: oc * 9)
        let weight = worst(
            rounded.weight.gradient.values, exact.weight.gradient.values, magnitude.weight.gradient.values,
            k: n * h * w)
        let bias = worst(
            rounded.bias!.gradient.values, exact.bias!.gradient.values, magnitude.bias!.gradient.values,
            k: n * h * w)
        #expect(forward <= 1, "forward: worst error / bound \(forward)")
        #expect(input <= 1, "input gradient: worst error / bound \(input)")
        #expect(weight <= 1, "weight gradient: worst error / bound \(weight)")
        #expect(bias <= 1, "bias gradient: worst error / bound \(bias)")
        #expect(forward > 0 && input > 0 && weight > 0, "bf16 and fp32 agree exactly: bf16 did not run")
    }
}
