import ConvEngine
import Testing

@Suite struct FineTuningTests {
    static func model(classes: Int, seed: UInt64) throws -> Model {
        Model(
            network: try ModelPreset.resnet9small.resolve(input: (3, 16, 16), classes: classes), seed: seed,
            pool: ThreadPool(threads: 1))
    }

    static func tensors(of model: Model) -> [String: SafeTensorsTensor] {
        Dictionary(
            uniqueKeysWithValues: model.stateDict.map { entry in
                (
                    entry.name,
                    entry.name.hasSuffix("num_batches_tracked")
                        ? SafeTensorsTensor(int64: [Int64(entry.value.values[0]) + 7], shape: [])
                        : SafeTensorsTensor(float32: entry.value.values, shape: entry.value.shape)
                )
            })
    }

    @Test func takesEveryMatchingTensorAndKeepsTheHeadOfAnotherClassCount() throws {
        let source = try Self.model(classes: 10, seed: 1)
        let target = try Self.model(classes: 2, seed: 2)
        let freshHead = target.namedParameters.first { $0.name == "fc.weight" }!.value.values
        let (taken, kept) = target.initialize(from: Self.tensors(of: source))
        #expect(kept == ["fc.weight", "fc.bias"])
        #expect(taken.count == target.stateDict.count - 2)
        let sourceByName = Dictionary(uniqueKeysWithValues: source.stateDict.map { ($0.name, $0.value.values) })
        for entry in target.stateDict where taken.contains(entry.name) && !entry.name.hasSuffix("num_batches_tracked") {
            #expect(entry.value.values == sourceByName[entry.name], "\(entry.name)")
        }
        #expect(target.stateDict.first { $0.name == "bn1.num_batches_tracked" }?.value.values == [7])
        #expect(target.namedParameters.first { $0.name == "fc.weight" }!.value.values == freshHead)
    }

    @Test func freezingByLayerPathLeavesTheRestTrainable() throws {
        let model = try Self.model(classes: 10, seed: 1)
        let (parameters, unmatched) = model.trainableParameters(freezing: ["conv1", "res1", "res2.conv", "fc3"])
        #expect(unmatched == ["res2.conv", "fc3"])
        let names = parameters.map(\.name)
        #expect(!names.contains("conv1.weight"))
        #expect(!names.contains { $0.hasPrefix("res1.") })
        #expect(names.contains("res2.conv1.weight"))
        #expect(names.contains("bn1.weight"))
        #expect(names.count == model.namedParameters.count - 1 - 6)
    }
}
