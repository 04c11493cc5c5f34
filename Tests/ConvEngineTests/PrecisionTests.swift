import ConvEngine
import Testing

@Suite struct PrecisionTests {
    static func randomTensor(_ shape: [Int], _ generator: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
    }

    /// A small model with an im2col convolution (stride 2), a "same"-padded one (implicit GEMM
    /// forward, im2col weight gradient) and a linear layer.
    static func model(seed: UInt64, pool: ThreadPool) -> Model {
        var generator = RandomGenerator(seed: seed)
        return Model(
            name: "precision-test", inputShape: [3, 9, 9],
            layers: [
                ("conv1", Conv2d(3, 8, kernelSize: 3, stride: 2, padding: 1, generator: &generator, pool: pool)),
                ("relu1", ReLU(pool: pool)),
                ("conv2", Conv2d(8, 8, kernelSize: 3, padding: 1, generator: &generator, pool: pool)),
                ("flatten", Flatten()),
                ("fc", Linear(8 * 5 * 5, 10, generator: &generator, pool: pool)),
            ])
    }

    /// Logits and every gradient after one forward and backward pass over `input`.
    static func pass(_ model: Model, _ input: Tensor, _ lossGradient: Tensor) -> [[Float]] {
        model.zeroGradients()
        let logits = model.forward(input, training: true).values
        model.backward(lossGradient)
        return [logits] + model.namedParameters.map(\.gradient.values)
    }

    /// Setting fp32 after bf16 rebuilds the kernels: the fp32 path is the one a fresh model runs,
    /// bit for bit.
    @Test func fp32AfterBF16IsBitIdenticalToAFreshModel() {
        let pool = ThreadPool(threads: 2)
        var generator = RandomGenerator(seed: 4)
        let input = Self.randomTensor([12, 3, 9, 9], &generator)
        let lossGradient = Self.randomTensor([12, 10], &generator)
        let fresh = Self.pass(Self.model(seed: 1, pool: pool), input, lossGradient)
        let switched = Self.model(seed: 1, pool: pool)
        switched.precision = .bf16
        let bf16 = Self.pass(switched, input, lossGradient)
        switched.precision = .fp32
        let back = Self.pass(switched, input, lossGradient)
        #expect(fresh.map { $0.map(\.bitPattern) } == back.map { $0.map(\.bitPattern) })
        if Precision.bf16.isSupported { #expect(bf16[0] != fresh[0], "bf16 logits equal fp32's: bf16 did not run") }
    }

    /// A bf16 im2col convolution against fp32: each output may be off by the bf16 product bound
    /// (see `BF16Bound`), whose sum of |w||x| is the fp32 convolution of |x| with |w|.
    @Test(.enabled(if: BF16GEMM.isSupported, "this CPU has no AVX512-BF16"), arguments: [1, 2])
    func convolutionIsWithinTheBF16Bound(threads: Int) {
        let pool = ThreadPool(threads: threads)
        var generator = RandomGenerator(seed: 8)
        let conv = Conv2d(5, 9, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: &generator, pool: pool)
        let input = Self.randomTensor([3, 5, 11, 13], &generator)
        #expect(conv.algorithm(for: [5, 11, 13]) == .im2col)
        let exact = conv.forward(input, training: false).values
        conv.precision = .bf16
        let rounded = conv.forward(input, training: false).values
        for i in 0..<conv.weight.value.count { conv.weight.value[i] = abs(conv.weight.value[i]) }
        conv.precision = .fp32
        let magnitude = conv.forward(Tensor(shape: input.shape, values: input.values.map(abs)), training: false).values
        let k = 5 * 3 * 3
        var worst = 0.0
        for i in exact.indices {
            let bound =
                BF16Bound.productError(k: k, magnitude: Double(magnitude[i]))
                + BF16Bound.fp32Roundoff * Double(k) * Double(magnitude[i])
            worst = max(worst, abs(Double(rounded[i]) - Double(exact[i])) / bound)
        }
        #expect(worst <= 1, "worst error / bound \(worst)")
        #expect(worst > 0, "bf16 and fp32 agree exactly: bf16 did not run")
    }

    /// Gradients of a bf16 model against central finite differences of its own bf16 loss. The loss
    /// is piecewise constant in each operand at bf16's resolution (2^-8 relative), so its error,
    /// about 2^-8 of the sum of its terms' magnitudes, is divided by the step: the step is large
    /// (0.5), which is exact in real arithmetic because without a ReLU the loss is linear in each
    /// single weight and input. The tolerance is that rounding error over the step, a few percent.
    @Test(.enabled(if: BF16GEMM.isSupported, "this CPU has no AVX512-BF16"))
    func bf16GradientsMatchFiniteDifferences() {
        let pool = ThreadPool(threads: 2)
        var generator = RandomGenerator(seed: 21)
        let network = Sequential([
            ("conv1", Conv2d(2, 4, kernelSize: 3, stride: 2, padding: 1, generator: &generator, pool: pool)),
            ("conv2", Conv2d(4, 4, kernelSize: 3, padding: 1, generator: &generator, pool: pool)),
            ("flatten", Flatten()),
            ("fc", Linear(4 * 3 * 3, 3, generator: &generator, pool: pool)),
        ])
        let model = Model(name: "bf16-gradient-check", inputShape: [2, 5, 5], layers: [("net", network)])
        model.precision = .bf16
        let outcome = GradientCheck(step: 0.5).check(network, inputShape: [9, 2, 5, 5])
        #expect(outcome.worst < 5e-2, "\(outcome)")
    }
}
