import ConvEngine
import Testing

@Suite struct ModelTests {
    @Test func lenetHasTutorialStateDict() {
        let model = ModelPreset.lenet.build(input: (3, 32, 32), classes: 10, seed: 1, pool: ThreadPool(threads: 1))
        let shapes = model.namedParameters.map { "\($0.name) \($0.value.shape)" }
        #expect(
            shapes == [
                "conv1.weight [6, 3, 5, 5]", "conv1.bias [6]", "conv2.weight [16, 6, 5, 5]", "conv2.bias [16]",
                "fc1.weight [120, 400]", "fc1.bias [120]", "fc2.weight [84, 120]", "fc2.bias [84]",
                "fc3.weight [10, 84]", "fc3.bias [10]",
            ])
        #expect(model.parameterCount == 62006)
        #expect(model.summary.contains("total 62006 parameters"))
    }

    @Test func lenetAdaptsFirstLinearLayerToInputSize() {
        let model = ModelPreset.lenet.build(input: (1, 28, 28), classes: 10, seed: 1, pool: ThreadPool(threads: 1))
        #expect(model.namedParameters.first { $0.name == "fc1.weight" }?.value.shape == [120, 256])
    }

    @Test func smallerLastBatchRunsAfterFullBatch() {
        let model = ModelPreset.lenet.build(input: (1, 28, 28), classes: 10, seed: 1, pool: ThreadPool(threads: 2))
        var generator = RandomGenerator(seed: 2)
        let full = Tensor(shape: [5, 1, 28, 28], values: (0..<(5 * 784)).map { _ in generator.uniform(-1, 1) })
        let partial = Tensor(shape: [2, 1, 28, 28], values: Array(full.values[0..<(2 * 784)]))
        let fullLogits = model.forward(full, training: true).values
        let partialLogits = model.forward(partial, training: true)
        #expect(partialLogits.shape == [2, 10])
        #expect(zip(partialLogits.values, fullLogits[0..<20]).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func loadRefusesWrongShapesAndMissingNames() throws {
        let model = ModelPreset.lenet.build(input: (1, 28, 28), classes: 10, seed: 1, pool: ThreadPool(threads: 1))
        let other = ModelPreset.lenet.build(input: (3, 32, 32), classes: 10, seed: 2, pool: ThreadPool(threads: 1))
        var tensors = Dictionary(uniqueKeysWithValues: other.stateDict.map { ($0.name, $0.value) })
        #expect(throws: EngineError.shapeMismatch(name: "conv1.weight", expected: [6, 1, 5, 5], found: [6, 3, 5, 5])) {
            try model.load(tensors)
        }
        let source = ModelPreset.lenet.build(input: (1, 28, 28), classes: 10, seed: 3, pool: ThreadPool(threads: 1))
        tensors = Dictionary(uniqueKeysWithValues: source.stateDict.map { ($0.name, $0.value) })
        tensors["fc3.bias"] = nil
        #expect(throws: EngineError.missingTensor("fc3.bias")) { try model.load(tensors) }
        tensors["fc3.bias"] = source.namedParameters.last!.value
        try model.load(tensors)
        #expect(model.namedParameters[0].value.values == source.namedParameters[0].value.values)
    }
}
