import ConvEngine
import Testing

/// Compares the engine with PyTorch on the fixtures of Tests/Reference/make_reference.py: logits,
/// loss, every gradient, batch-norm buffers, and parameters, buffers, optimizer state and
/// evaluation logits after 3 SGD and 3 Adam steps on the same batch.
@Suite struct ReferenceFixtureTests {
    @Test(arguments: [1, 2])
    func lenetMatchesPyTorch(threads: Int) throws {
        let pool = ThreadPool(threads: threads)
        let model = ModelPreset.lenet.build(input: (1, 28, 28), classes: 10, seed: 1, pool: pool)
        try compare(model, with: ReferenceFixture(named: "lenet"))
    }

    @Test(arguments: [1, 2])
    func batchNormResidualNetMatchesPyTorch(threads: Int) throws {
        try compare(Self.bnnet(pool: ThreadPool(threads: threads)), with: ReferenceFixture(named: "bnnet"))
    }

    /// The twin of make_reference.py's BNNet.
    static func bnnet(pool: ThreadPool) -> Model {
        var generator = RandomGenerator(seed: 1)
        func convBNReLU(_ i: Int, _ cin: Int, _ cout: Int) -> [(name: String, layer: any Layer)] {
            [
                (
                    "conv\(i)",
                    Conv2d(cin, cout, kernelSize: 3, padding: 1, bias: false, generator: &generator, pool: pool)
                ),
                ("bn\(i)", BatchNorm2d(cout, pool: pool)), ("relu\(i)", ReLU(pool: pool)),
            ]
        }
        let residual = Residual(body: Sequential(convBNReLU(1, 4, 4) + convBNReLU(2, 4, 4)), pool: pool)
        let layers =
            convBNReLU(1, 3, 4) + [("pool1", MaxPool2d(kernelSize: 2, pool: pool)), ("res1", residual)]
            + convBNReLU(2, 4, 6)
            + [("gap", GlobalAvgPool()), ("fc", Linear(6, 5, generator: &generator, pool: pool))]
        return Model(name: "bnnet", inputShape: [3, 8, 8], layers: layers)
    }

    private func compare(_ model: Model, with fixture: ReferenceFixture) throws {
        let input = try fixture.tensor("input")
        let labels = try #require(fixture.integers["labels"])
        let initial = fixture.tensors(prefixed: "param.").merging(fixture.tensors(prefixed: "buffer.")) { a, _ in a }
        #expect(Set(initial.keys) == Set(model.stateDict.map(\.name)))
        try model.load(initial)
        let loss = SoftmaxCrossEntropy(labelSmoothing: Float(try fixture.number("label_smoothing")))

        model.zeroGradients()
        let logits = model.forward(input, training: true)
        let value = loss.forward(logits: logits, labels: labels).loss
        model.backward(loss.gradient)
        var failures: [String] = []
        failures += [mismatch("logits", actual: logits, expected: try fixture.tensor("logits"))].compactMap { $0 }
        failures += [mismatch("loss", actual: Tensor(shape: [], values: [value]), expected: try fixture.tensor("loss"))]
            .compactMap { $0 }
        for parameter in model.namedParameters {
            failures += [
                mismatch(
                    "grad \(parameter.name)", actual: parameter.gradient,
                    expected: try fixture.tensor("grad." + parameter.name))
            ].compactMap { $0 }
        }
        for buffer in model.namedBuffers {
            failures += [
                mismatch(
                    "buffer \(buffer.name) after forward", actual: buffer.value,
                    expected: try fixture.tensor("forward_buffer." + buffer.name))
            ].compactMap { $0 }
        }

        let sgd = { (model: Model) -> any Optimizer in
            SGD(
                parameters: model.namedParameters, learningRate: try fixture.number("sgd_lr"),
                momentum: Float(try fixture.number("sgd_momentum")),
                weightDecay: Float(try fixture.number("sgd_weight_decay")),
                nesterov: fixture.metadata["sgd_nesterov"] == "true")
        }
        let adam = { (model: Model) -> any Optimizer in
            Adam(
                parameters: model.namedParameters, learningRate: try fixture.number("adam_lr"),
                weightDecay: try fixture.number("adam_weight_decay"),
                decoupledWeightDecay: fixture.metadata["adam_decoupled"] == "true")
        }
        for (prefix, makeOptimizer) in [("sgd", sgd), ("adam", adam)] {
            try model.load(initial)
            let optimizer = try makeOptimizer(model)
            var losses: [Float] = []
            for _ in 0..<3 {
                model.zeroGradients()
                losses.append(loss.forward(logits: model.forward(input, training: true), labels: labels).loss)
                model.backward(loss.gradient)
                optimizer.step()
            }
            failures += [
                mismatch(
                    "\(prefix) losses", actual: Tensor(shape: [3], values: losses),
                    expected: try fixture.tensor("\(prefix).losses"))
            ].compactMap { $0 }
            for parameter in model.namedParameters {
                failures += [
                    mismatch(
                        "\(prefix) \(parameter.name)", actual: parameter.value,
                        expected: try fixture.tensor("\(prefix).param.\(parameter.name)"))
                ].compactMap { $0 }
            }
            for buffer in model.namedBuffers {
                failures += [
                    mismatch(
                        "\(prefix) \(buffer.name)", actual: buffer.value,
                        expected: try fixture.tensor("\(prefix).buffer.\(buffer.name)"))
                ].compactMap { $0 }
            }
            let state = fixture.tensors(prefixed: "\(prefix).state.")
            if !state.isEmpty {
                #expect(Set(state.keys) == Set(optimizer.namedState.map(\.name)))
                for entry in optimizer.namedState {
                    failures += [
                        mismatch(
                            "\(prefix) state \(entry.name)", actual: entry.value,
                            expected: try fixture.tensor("\(prefix).state.\(entry.name)"))
                    ].compactMap { $0 }
                }
            }
            failures += [
                mismatch(
                    "\(prefix) eval logits", actual: model.forward(input, training: false),
                    expected: try fixture.tensor("\(prefix).eval_logits"))
            ].compactMap { $0 }
        }
        for failure in failures { Issue.record("differs from PyTorch: \(failure)") }
    }
}
