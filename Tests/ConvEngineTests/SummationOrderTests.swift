import ConvEngine
import Testing

/// Every sum over a batch runs in one order fixed by the batch's size (`BatchSummation`), so the
/// thread count changes nothing: training on 1 and on 2 threads must give the same bits.
@Suite struct SummationOrderTests {
    /// A preset on an image size, which picks its convolution kernels: lenet's direct ones,
    /// convnet5's implicit GEMM and im2col on 28x28, F(4x4) Winograd on 14x14 maps and narrower
    /// ones (7x7, 3x3) and on 32x32, small-plane on 8x8 (its 2x2 maps).
    struct Case: CustomTestStringConvertible, Sendable {
        var preset: ModelPreset
        var input: (channels: Int, height: Int, width: Int)
        var testDescription: String { "\(preset) on \(input.channels)x\(input.height)x\(input.width)" }
    }

    static let cases = [
        Case(preset: .lenet, input: (1, 28, 28)), Case(preset: .convnet5, input: (1, 28, 28)),
        Case(preset: .convnet5, input: (1, 14, 14)), Case(preset: .convnet5, input: (1, 8, 8)),
        Case(preset: .convnet5, input: (3, 32, 32)),
    ]

    /// Three SGD steps with momentum on batches of 48 (three leaves a thread on two threads) and
    /// a last batch of 21: parameters, batch-norm statistics and losses bit for bit.
    @Test(arguments: cases)
    func oneAndTwoThreadsTrainTheSameBits(kase: Case) {
        let one = Self.train(kase, threads: 1), two = Self.train(kase, threads: 2)
        #expect(one.losses.map(\.bitPattern) == two.losses.map(\.bitPattern), "losses \(one.losses) and \(two.losses)")
        for (a, b) in zip(one.state, two.state) {
            let differing = zip(a.values, b.values).filter { $0.bitPattern != $1.bitPattern }
            #expect(
                differing.isEmpty,
                "\(a.name): \(differing.count) of \(a.values.count) values differ, first \(differing.prefix(3))")
        }
    }

    /// The state after training `kase` on `threads` threads: each tensor's name and values, and the losses.
    private static func train(_ kase: Case, threads: Int) -> (state: [(name: String, values: [Float])], losses: [Float])
    {
        let model = kase.preset.build(input: kase.input, classes: 10, seed: 7, pool: ThreadPool(threads: threads))
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()
        let imageSize = kase.input.channels * kase.input.height * kase.input.width
        var generator = RandomGenerator(seed: 11)
        var losses: [Float] = []
        for batch in [48, 48, 21] {
            let images = (0..<batch * imageSize).map { _ in generator.uniform(-1, 1) }
            let labels = (0..<batch).map { _ in Int(generator.uniform(0, 10)) % 10 }
            let input = Tensor(
                shape: [batch, kase.input.channels, kase.input.height, kase.input.width], values: images)
            model.zeroGradients()
            losses.append(loss.forward(logits: model.forward(input, training: true), labels: labels).loss)
            model.backward(loss.gradient)
            optimizer.step()
        }
        return (model.stateDict.map { ($0.name, $0.value.values) }, losses)
    }
}
