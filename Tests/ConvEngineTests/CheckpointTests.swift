import ConvEngine
import Foundation
import Testing

@Suite struct CheckpointTests {
    static let pool = ThreadPool(threads: 2)

    static func lenet(seed: UInt64 = 1, input: (Int, Int, Int) = (3, 32, 32)) -> Model {
        ModelPreset.lenet.build(input: (input.0, input.1, input.2), classes: 10, seed: seed, pool: pool)
    }

    static func convnet5(seed: UInt64 = 1) -> Model {
        ModelPreset.convnet5.build(input: (1, 28, 28), classes: 10, seed: seed, pool: pool)
    }

    static func batch(for model: Model, seed: UInt64) -> (Tensor, [Int]) {
        var generator = RandomGenerator(seed: seed)
        let shape = [4] + model.inputShape
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
        return (x, (0..<4).map { $0 * 3 % 10 })
    }

    static func train(_ model: Model, _ optimizer: any Optimizer, steps: Range<Int>) {
        let loss = SoftmaxCrossEntropy()
        for step in steps {
            let (x, labels) = batch(for: model, seed: UInt64(step))
            model.zeroGradients()
            _ = loss.forward(logits: model.forward(x, training: true), labels: labels)
            model.backward(loss.gradient)
            optimizer.step()
        }
    }

    static let run = RunState(
        dataset: "cifar10", epoch: 3, step: 1234, random: RandomGenerator(seed: 42),
        mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616],
        extra: ["configuration": #"{"batch":32}"#, "format": "not the file's format"])
    static let grayRun = RunState(
        dataset: "fashion-mnist", epoch: 1, step: 469, random: RandomGenerator(seed: 43),
        mean: [0.286], std: [0.353])

    static func stateValues(_ model: Model, _ optimizer: any Optimizer) -> [String: [Float]] {
        Dictionary(
            uniqueKeysWithValues: (model.stateDict
                + optimizer.namedState.map { NamedTensor(name: "opt." + $0.name, value: $0.value) })
                .map { ($0.name, $0.value.values) })
    }

    @Test func restoresModelOptimizerAndRun() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.lenet()
            let optimizer = SGD(
                parameters: model.namedParameters, learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, nesterov: true)
            Self.train(model, optimizer, steps: 0..<2)
            try Checkpoint(model: model, optimizer: optimizer, run: Self.run).write(toFile: path)

            let loaded = try Checkpoint(contentsOfFile: path)
            #expect(loaded.metadata.run == Self.run)
            #expect(loaded.metadata.modelDescription == "lenet (3x32x32, 10 classes)")
            let h = loaded.metadata.hyperparameters
            #expect(h.keys.sorted() == ["lr", "momentum", "nesterov", "weight_decay"])
            #expect(
                (h["lr"], h["momentum"].map(Float.init), h["weight_decay"].map(Float.init), h["nesterov"]) == (
                    0.01, 0.9, 5e-4, 1
                ))
            let fresh = Self.lenet(seed: 2)
            let freshOptimizer = SGD(
                parameters: fresh.namedParameters, learningRate: 0.5, momentum: 0.9, weightDecay: 5e-4, nesterov: true)
            try loaded.restore(into: fresh, optimizer: freshOptimizer)
            #expect(Self.stateValues(fresh, freshOptimizer) == Self.stateValues(model, optimizer))
            #expect(freshOptimizer.learningRate == 0.01)
            let (x, _) = Self.batch(for: model, seed: 99)
            #expect(fresh.forward(x, training: false).values == model.forward(x, training: false).values)
        }
    }

    /// A lookahead (around SGD) averages after steps 2 and 4, on either side of the checkpoint.
    @Test(arguments: ["adam", "adamw", "lookahead"])
    func resumedRunMatchesAnUninterruptedOne(optimizerName: String) throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            func optimizer(_ model: Model) -> any Optimizer {
                guard optimizerName != "lookahead" else {
                    return Lookahead(
                        wrapping: SGD(parameters: model.namedParameters, learningRate: 0.01, momentum: 0.9),
                        tensors: model.stateDict, interval: 2, totalSteps: 4)
                }
                return Adam(
                    parameters: model.namedParameters, learningRate: 2e-3, weightDecay: 0.05,
                    decoupledWeightDecay: optimizerName == "adamw")
            }
            let straight = Self.convnet5(), straightOptimizer = optimizer(straight)
            Self.train(straight, straightOptimizer, steps: 0..<4)

            let first = Self.convnet5(), firstOptimizer = optimizer(first)
            Self.train(first, firstOptimizer, steps: 0..<3)
            try Checkpoint(model: first, optimizer: firstOptimizer, run: Self.grayRun).write(toFile: path)
            let checkpoint = try Checkpoint(contentsOfFile: path)
            #expect(checkpoint.metadata.optimizer == (optimizerName == "lookahead" ? "sgd" : optimizerName))
            let lookahead = ["lookahead_interval", "lookahead_total_steps"].map {
                checkpoint.metadata.hyperparameters[$0]
            }
            #expect(lookahead == (optimizerName == "lookahead" ? [2, 4] : [nil, nil]))
            let resumed = Self.convnet5(seed: 5), resumedOptimizer = optimizer(resumed)
            try checkpoint.restore(into: resumed, optimizer: resumedOptimizer)
            Self.train(resumed, resumedOptimizer, steps: 3..<4)
            #expect(Self.stateValues(resumed, resumedOptimizer) == Self.stateValues(straight, straightOptimizer))
        }
    }

    /// A small net with dropout at the top level and inside a repeat, on 1x28x28 images.
    static func dropoutNet(dropoutName: String = "drop", seed: UInt64 = 1) throws -> Model {
        let text = """
            conv1: conv 4 kernel=3 padding=same
            relu
            pool: maxpool 2
            stage: repeat 2 {
                conv: conv 4 kernel=3 padding=same
                relu
                inner: dropout 0.2
            }
            flatten
            \(dropoutName): dropout 0.5
            fc: linear classes

            """
        let network = try NetworkFile(text: text, file: "dropout.net", name: "dropout").resolve(
            inputShape: [1, 28, 28], classes: 10)
        return Model(network: network, seed: seed, pool: pool)
    }

    @Test func dropoutMasksContinueAfterAResume() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            func sgd(_ model: Model) -> SGD {
                SGD(parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9)
            }
            let straight = try Self.dropoutNet(), straightOptimizer = sgd(straight)
            Self.train(straight, straightOptimizer, steps: 0..<4)

            let first = try Self.dropoutNet(), firstOptimizer = sgd(first)
            Self.train(first, firstOptimizer, steps: 0..<2)
            try Checkpoint(model: first, optimizer: firstOptimizer, run: Self.grayRun).write(toFile: path)
            let checkpoint = try Checkpoint(contentsOfFile: path)
            #expect(checkpoint.metadata.dropoutGenerators.keys.sorted() == ["drop", "stage.0.inner", "stage.1.inner"])
            let resumed = try Self.dropoutNet(seed: 5), resumedOptimizer = sgd(resumed)
            try checkpoint.restore(into: resumed, optimizer: resumedOptimizer)
            #expect(resumed.dropoutGenerators.map(\.generator) == first.dropoutGenerators.map(\.generator))
            Self.train(resumed, resumedOptimizer, steps: 2..<4)
            #expect(Self.stateValues(resumed, resumedOptimizer) == Self.stateValues(straight, straightOptimizer))

            // Restoring the weights alone, the masks start over and the runs part.
            let restarted = try Self.dropoutNet(seed: 5), restartedOptimizer = sgd(restarted)
            try restarted.load(Dictionary(uniqueKeysWithValues: first.stateDict.map { ($0.name, $0.value) }))
            try restartedOptimizer.loadState(
                Dictionary(uniqueKeysWithValues: firstOptimizer.namedState.map { ($0.name, $0.value) }))
            Self.train(restarted, restartedOptimizer, steps: 2..<4)
            #expect(Self.stateValues(restarted, restartedOptimizer) != Self.stateValues(straight, straightOptimizer))

            let renamed = try Self.dropoutNet(dropoutName: "head_drop")
            #expect(throws: CheckpointError.self) {
                try checkpoint.restore(into: renamed, optimizer: sgd(renamed))
            }
        }
    }

    /// Evaluation reads the weights alone: a run that froze a layer kept no optimizer state for it,
    /// so an optimizer over every parameter cannot restore the file, but its weights load.
    @Test func weightsLoadWithoutTheOptimizersState() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.convnet5()
            let optimizer = SGD(
                parameters: model.namedParameters.filter { !$0.name.hasPrefix("conv1.") }, learningRate: 0.1,
                momentum: 0.9)
            Self.train(model, optimizer, steps: 0..<2)
            try Checkpoint(model: model, optimizer: optimizer, run: Self.grayRun).write(toFile: path)
            let checkpoint = try Checkpoint(contentsOfFile: path)
            let evaluated = Self.convnet5(seed: 5)
            #expect(throws: CheckpointError.self) {
                try checkpoint.restore(
                    into: evaluated,
                    optimizer: SGD(parameters: evaluated.namedParameters, learningRate: 0.1, momentum: 0.9))
            }
            try checkpoint.restoreWeights(into: evaluated)
            let (x, _) = Self.batch(for: model, seed: 99)
            #expect(evaluated.forward(x, training: false).values == model.forward(x, training: false).values)
            #expect(
                throws: CheckpointError(
                    file: path,
                    problem: "checkpoint is for model convnet5 (1x28x28, 10 classes), not lenet (1x28x28, 10 classes)")
            ) {
                try checkpoint.restoreWeights(into: Self.lenet(input: (1, 28, 28)))
            }
        }
    }

    @Test func batchCountIsStoredAsPyTorchsInt64() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.convnet5()
            let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.1)
            Self.train(model, optimizer, steps: 0..<3)
            try Checkpoint(model: model, optimizer: optimizer, run: Self.grayRun).write(toFile: path)
            let raw = try SafeTensors(contentsOfFile: path)
            let counter = try #require(raw.tensors["bn1.num_batches_tracked"])
            #expect(counter.dtype == .i64 && counter.shape == [] && counter.int64Values() == [3])
            #expect(raw.tensors["bn1.running_var"]?.dtype == .f32)
            #expect(raw.tensors.keys.filter { $0.hasPrefix("optimizer.") }.isEmpty)
        }
    }

    @Test func refusesACheckpointForAnotherModel() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.convnet5()
            try Checkpoint(
                model: model, optimizer: SGD(parameters: model.namedParameters, learningRate: 0.1), run: Self.grayRun
            ).write(toFile: path)
            let checkpoint = try Checkpoint(contentsOfFile: path)
            for (other, name) in [(Self.lenet(), "lenet (3x32x32"), (Self.lenet(input: (1, 28, 28)), "lenet (1x28x28")]
            {
                #expect(
                    throws: CheckpointError(
                        file: path,
                        problem: "checkpoint is for model convnet5 (1x28x28, 10 classes), not \(name), 10 classes)")
                ) {
                    try checkpoint.restore(
                        into: other, optimizer: SGD(parameters: other.namedParameters, learningRate: 0.1))
                }
            }
            let wider = ModelPreset.convnet5.build(input: (1, 28, 28), classes: 12, seed: 1, pool: Self.pool)
            #expect(
                throws: CheckpointError(
                    file: path,
                    problem:
                        "checkpoint is for model convnet5 (1x28x28, 10 classes), not convnet5 (1x28x28, 12 classes)")
            ) {
                try checkpoint.restore(
                    into: wider, optimizer: SGD(parameters: wider.namedParameters, learningRate: 0.1))
            }
            let target = Self.convnet5(seed: 3)
            #expect(throws: CheckpointError(file: path, problem: "checkpoint holds sgd optimizer state, not adam")) {
                try checkpoint.restore(into: target, optimizer: Adam(parameters: target.namedParameters))
            }
            #expect(
                throws: CheckpointError(file: path, problem: "tensor optimizer.conv1.weight.momentum_buffer is missing")
            ) {
                try checkpoint.restore(
                    into: target, optimizer: SGD(parameters: target.namedParameters, learningRate: 0.1, momentum: 0.9))
            }
            #expect(
                Self.stateValues(target, SGD(parameters: [], learningRate: 0))
                    == Self.stateValues(Self.convnet5(seed: 3), SGD(parameters: [], learningRate: 0)),
                "a refused restore changed the model")
        }
    }

    @Test func refusesExtraTensors() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.lenet()
            try Checkpoint(
                model: model, optimizer: SGD(parameters: model.namedParameters, learningRate: 0.1, momentum: 0.9),
                run: Self.run
            )
            .write(toFile: path)
            #expect(
                throws: CheckpointError(
                    file: path,
                    problem:
                        "tensor optimizer.conv1.bias.momentum_buffer belongs to neither model lenet nor its sgd optimizer"
                )
            ) {
                try Checkpoint(contentsOfFile: path).restore(
                    into: model, optimizer: SGD(parameters: model.namedParameters, learningRate: 0.1))
            }
        }
    }

    @Test func refusesDamagedAndForeignFiles() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.lenet()
            try Checkpoint(
                model: model, optimizer: SGD(parameters: model.namedParameters, learningRate: 0.1), run: Self.run
            ).write(toFile: path)
            let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

            var flipped = good
            flipped[good.count - 5] ^= 0x40
            try Data(flipped).write(to: URL(fileURLWithPath: path))
            #expect(
                throws: CheckpointError(
                    file: path, problem: "checksum mismatch: the file was damaged or changed after it was saved")
            ) {
                try Checkpoint(contentsOfFile: path)
            }

            try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: path))
            #expect(throws: CheckpointError.self) { try Checkpoint(contentsOfFile: path) }

            var newer = try SafeTensors(bytes: good, file: path)
            newer.metadata["format_version"] = "2"
            try newer.write(toFile: path)
            #expect(
                throws: CheckpointError(
                    file: path, problem: "checkpoint format version 2; this convtop reads version 1")
            ) {
                try Checkpoint(contentsOfFile: path)
            }

            var wrongChannels = try SafeTensors(bytes: good, file: path)
            wrongChannels.metadata["normalization_mean"] = "0.5"
            try wrongChannels.write(toFile: path)
            #expect(
                throws: CheckpointError(
                    file: path, problem: "__metadata__ normalisation has 1 means and 3 deviations for 3 channels")
            ) {
                try Checkpoint(contentsOfFile: path)
            }

            try SafeTensors(tensors: ["conv1.weight": SafeTensorsTensor(float32: [1], shape: [1])]).write(toFile: path)
            #expect(
                throws: CheckpointError(
                    file: path,
                    problem: "not a convtop checkpoint (no \"format\": \"convtop-checkpoint\" in __metadata__)")
            ) {
                try Checkpoint(contentsOfFile: path)
            }
        }
    }

    @Test func refusesToSaveANonFiniteModel() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            let model = Self.lenet()
            let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.1)
            try Checkpoint(model: model, optimizer: optimizer, run: Self.run).write(toFile: path)
            let old = FileManager.default.contents(atPath: path)
            let grayRun = Self.grayRun
            #expect(
                throws: CheckpointError(
                    file: path,
                    problem: "not saved: __metadata__ normalisation has 1 means and 1 deviations for 3 channels")
            ) {
                try Checkpoint(model: model, optimizer: optimizer, run: grayRun).write(toFile: path)
            }
            model.namedParameters[2].value[7] = .infinity
            #expect(
                throws: CheckpointError(
                    file: path, problem: "not saved: conv2.weight holds inf; the previous file is unchanged")
            ) {
                try Checkpoint(model: model, optimizer: optimizer, run: Self.run).write(toFile: path)
            }
            #expect(FileManager.default.contents(atPath: path) == old)
        }
    }

    /// Writes <preset>.safetensors and <preset>-logits.safetensors (input, logits) into
    /// $CONVTOP_CHECKPOINT_EXPORT when set, for Tests/Reference/check_checkpoint.py; always checks
    /// that the reloaded model reproduces the logits in Swift.
    @Test(arguments: [ModelPreset.lenet, .resnet9])
    func checkpointReproducesItsLogits(preset: ModelPreset) throws {
        let export = ProcessInfo.processInfo.environment["CONVTOP_CHECKPOINT_EXPORT"]
        let folder = try export ?? temporaryFolder()
        defer { if export == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let gray = preset == .resnet9
        func build(seed: UInt64) -> Model {
            preset.build(input: gray ? (1, 28, 28) : (3, 32, 32), classes: 10, seed: seed, pool: Self.pool)
        }
        let model = build(seed: 7)
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9)
        Self.train(model, optimizer, steps: 0..<3)
        let (x, _) = Self.batch(for: model, seed: 123)
        let logits = model.forward(x, training: false)
        let path = "\(folder)/\(preset.rawValue).safetensors"
        try Checkpoint(model: model, optimizer: optimizer, run: gray ? Self.grayRun : Self.run).write(toFile: path)
        try SafeTensors(tensors: [
            "input": SafeTensorsTensor(float32: x.values, shape: x.shape),
            "logits": SafeTensorsTensor(float32: logits.values, shape: logits.shape),
        ])
        .write(toFile: "\(folder)/\(preset.rawValue)-logits.safetensors")

        let reloaded = build(seed: 8)
        try Checkpoint(contentsOfFile: path).restore(
            into: reloaded, optimizer: SGD(parameters: reloaded.namedParameters, learningRate: 0.05, momentum: 0.9))
        #expect(reloaded.forward(x, training: false).values == logits.values)
    }
}
