import ConvEngine
import Foundation
import Testing

@Suite struct ModelPresetTests {
    /// Names and shapes written by make_reference.py from the PyTorch twins' state_dict().
    static func pyTorchShapes(_ key: String) throws -> [String: [Int]] {
        let url = try #require(
            Bundle.module.url(
                forResource: "preset_state_dicts", withExtension: "json",
                subdirectory: "Fixtures"))
        let all = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [[Any]]])
        let entries = try #require(all[key], "no PyTorch state_dict for \(key)")
        return Dictionary(uniqueKeysWithValues: entries.map { ($0[0] as! String, $0[1] as! [Int]) })
    }

    @Test(arguments: ModelPreset.allCases, [(3, 32), (1, 28)])
    func stateDictMatchesPyTorchTwin(preset: ModelPreset, input: (channels: Int, size: Int)) throws {
        let model = preset.build(
            input: (input.channels, input.size, input.size), classes: 10, seed: 1,
            pool: ThreadPool(threads: 1))
        let key = "\(preset.rawValue) \(input.channels)x\(input.size)x\(input.size)"
        let expectedShapes = try Self.pyTorchShapes(key)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.name, $0.value.shape) })
        #expect(shapes == expectedShapes)
    }

    @Test(arguments: ModelPreset.allCases)
    func buildsAndRunsABatch(preset: ModelPreset) {
        let model = preset.build(input: (3, 32, 32), classes: 7, seed: 2, pool: ThreadPool(threads: 2))
        var generator = RandomGenerator(seed: 3)
        let x = Tensor(shape: [3, 3, 32, 32], values: (0..<(3 * 3 * 1024)).map { _ in generator.uniform(-1, 1) })
        let logits = model.forward(x, training: true)
        #expect(logits.shape == [3, 7])
        #expect(logits.values.allSatisfy { $0.isFinite })
        #expect(!preset.description.isEmpty)
        #expect(ModelPreset(rawValue: preset.rawValue) == preset)
    }

    @Test(arguments: ModelPreset.allCases)
    func fileParsesAndReadsBackItsOwnText(preset: ModelPreset) throws {
        let file = preset.network
        #expect(file.name == preset.rawValue)
        #expect(file.text == preset.text)
        #expect(file.text.hasPrefix("# "))
    }

    @Test func sameSeedSameWeightsOtherSeedOtherWeights() {
        let build = { (seed: UInt64) in
            ModelPreset.resnet9.build(input: (1, 28, 28), classes: 10, seed: seed, pool: ThreadPool(threads: 1))
        }
        let a = build(5).namedParameters.flatMap(\.value.values)
        #expect(a == build(5).namedParameters.flatMap(\.value.values))
        #expect(a != build(6).namedParameters.flatMap(\.value.values))
    }
}
