import ConvEngine
import Foundation
import Testing

/// Properties every optimizer shares; PyTorch equality of the update rules is in ReferenceFixtureTests.
@Suite struct OptimizerTests {
    typealias MakeOptimizer = @Sendable (Model) -> any Optimizer

    static let optimizers: [(String, MakeOptimizer)] = [
        ("sgd", { SGD(parameters: $0.namedParameters, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4) }),
        ("adam", { Adam(parameters: $0.namedParameters, learningRate: 1e-3) }),
        ("adamw", { Adam(parameters: $0.namedParameters, learningRate: 1e-3, decoupledWeightDecay: true) }),
        // Averages after steps 3 and 6 of 6: the restored state must carry the average and the count.
        (
            "lookahead",
            {
                Lookahead(
                    wrapping: SGD(parameters: $0.namedParameters, learningRate: 0.05, momentum: 0.9),
                    tensors: $0.stateDict, interval: 3, totalSteps: 6)
            }
        ),
    ]

    private static func batch(seed: UInt64) -> (Tensor, [Int]) {
        var generator = RandomGenerator(seed: seed)
        let x = Tensor(shape: [6, 3, 16, 16], values: (0..<(6 * 768)).map { _ in generator.uniform(-1, 1) })
        return (x, (0..<6).map { $0 % 4 })
    }

    private static func train(_ model: Model, _ optimizer: any Optimizer, steps: Range<Int>) {
        let loss = SoftmaxCrossEntropy(labelSmoothing: 0.1)
        for step in steps {
            let (x, labels) = batch(seed: UInt64(step))
            model.zeroGradients()
            _ = loss.forward(logits: model.forward(x, training: true), labels: labels)
            model.backward(loss.gradient)
            optimizer.step()
        }
    }

    private static func model(threads: Int) -> Model {
        ModelPreset.resnet9.build(input: (3, 16, 16), classes: 4, seed: 9, pool: ThreadPool(threads: threads))
    }

    private static func weights(_ model: Model) -> [Float] {
        model.stateDict.flatMap(\.value.values)
    }

    @Test(arguments: [1, 2])
    func sameSeedAndThreadsGiveIdenticalWeights(threads: Int) {
        let runs = (0..<2).map { _ in
            let model = Self.model(threads: threads)
            Self.train(model, SGD(parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9), steps: 0..<3)
            return Self.weights(model)
        }
        #expect(runs[0] == runs[1])
    }

    /// res2's 147k-weight kernels are split between the threads; every element's update is the same
    /// arithmetic either way.
    @Test(arguments: [false, true])
    func sgdOnThePoolGivesTheSameWeights(nesterov: Bool) {
        let runs = [nil, ThreadPool(threads: 2)].map { pool in
            let model = Self.model(threads: 2)
            let optimizer = SGD(
                parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4,
                nesterov: nesterov, pool: pool)
            Self.train(model, optimizer, steps: 0..<3)
            return Self.weights(model)
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0] != Self.weights(Self.model(threads: 2)))
    }

    @Test(arguments: optimizers.map(\.0))
    func restoredStateContinuesExactly(name: String) throws {
        let make = try #require(Self.optimizers.first { $0.0 == name }?.1)
        let straight = Self.model(threads: 2)
        Self.train(straight, make(straight), steps: 0..<6)

        let first = Self.model(threads: 2)
        let firstOptimizer = make(first)
        Self.train(first, firstOptimizer, steps: 0..<4)
        let resumed = Self.model(threads: 2)
        try resumed.load(Dictionary(uniqueKeysWithValues: first.stateDict.map { ($0.name, $0.value) }))
        let resumedOptimizer = make(resumed)
        try resumedOptimizer.loadState(
            Dictionary(uniqueKeysWithValues: firstOptimizer.namedState.map { ($0.name, $0.value) }))
        Self.train(resumed, resumedOptimizer, steps: 4..<6)
        #expect(Self.weights(resumed) == Self.weights(straight))
    }

    /// A weight that plain SGD moves by -1 a step, against airbench's rule worked through in
    /// doubles: the average starts as the weight, and every second step the weight joins it and is set to it.
    @Test func lookaheadAveragesEveryIntervalWithADecayRisingToTheRunsEnd() {
        let weight = Parameter(
            name: "w", value: Tensor(shape: [2], values: [0, 4]), gradient: Tensor(shape: [2], values: [1, 1]))
        let count = NamedTensor(name: "bn.num_batches_tracked", value: Tensor(shape: [], values: [7]))
        let lookahead = Lookahead(
            wrapping: SGD(parameters: [weight], learningRate: 1),
            tensors: [NamedTensor(name: "w", value: weight.value), count],
            interval: 2, totalSteps: 6)
        var expected: [Double] = [0, 4], average = expected
        for step in 1...6 {
            lookahead.step()
            expected = expected.map { $0 - 1 }
            if step % 2 == 0 {
                let decay = pow(0.95, 5) * pow(Double(step) / 6, 3)
                average = zip(average, expected).map { decay * $0 + (1 - decay) * $1 }
                expected = average
            }
            for i in 0..<2 { #expect(abs(Double(weight.value[i]) - expected[i]) < 1e-5, "step \(step)") }
        }
        #expect(Double(lookahead.decay(afterStep: 6)) == Double(Float(pow(0.95, 5))))
        #expect(lookahead.decay(afterStep: 600) == lookahead.decay(afterStep: 6))
        #expect(count.value[0] == 7)
        #expect(lookahead.namedState.map(\.name) == ["w.lookahead", "lookahead.step"])
    }

    @Test func learningRateChangesTakeEffectOnTheNextStep() {
        let model = Self.model(threads: 1)
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.1)
        let parameters = { model.namedParameters.flatMap(\.value.values) }
        let before = parameters()
        optimizer.learningRate = 0
        Self.train(model, optimizer, steps: 0..<1)
        #expect(parameters() == before)
        optimizer.learningRate = 0.1
        Self.train(model, optimizer, steps: 1..<2)
        #expect(parameters() != before)
    }
}
