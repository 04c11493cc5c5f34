import ConvEngine
import Foundation
import Testing

/// Reads protocol-buffers fields back, enough to check what the ONNX writer wrote.
private struct ProtobufFields {
    enum Value: Equatable {
        case integer(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    let fields: [(field: Int, value: Value)]

    init(_ bytes: [UInt8]) throws {
        struct Malformed: Error {}
        var index = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }
        var fields: [(Int, Value)] = []
        while index < bytes.count {
            let key = try varint()
            switch key & 7 {
            case 0: fields.append((Int(key >> 3), .integer(try varint())))
            case 2:
                let length = Int(try varint())
                guard index + length <= bytes.count else { throw Malformed() }
                fields.append((Int(key >> 3), .bytes(Array(bytes[index..<index + length]))))
                index += length
            case 5:
                guard index + 4 <= bytes.count else { throw Malformed() }
                fields.append(
                    (Int(key >> 3), .fixed32(bytes[index..<index + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })))
                index += 4
            default: throw Malformed()
            }
        }
        self.fields = fields
    }

    func messages(_ field: Int) throws -> [ProtobufFields] {
        try fields.compactMap { entry in
            guard entry.field == field, case .bytes(let bytes) = entry.value else { return nil }
            return try ProtobufFields(bytes)
        }
    }

    func strings(_ field: Int) -> [String] {
        fields.compactMap { entry in
            guard entry.field == field, case .bytes(let bytes) = entry.value else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    func integer(_ field: Int) -> UInt64? {
        for entry in fields where entry.field == field { if case .integer(let n) = entry.value { return n } }
        return nil
    }
}

@Suite struct ModelExportTests {
    static let vggFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples/vgg-dropout.net").standardized.path
    static let mean: [Float] = [0.49, 0.48, 0.45], std: [Float] = [0.25, 0.24, 0.26]

    static func network(_ name: String) throws -> ResolvedNetwork {
        let file = try ModelChoice(name == "vgg" ? vggFile : name).load()
        return try file.resolve(inputShape: [3, 32, 32], classes: 10)
    }

    /// A model after three SGD steps on random images, so batch-norm statistics and weights are
    /// not at their initial values.
    static func trainedModel(_ network: ResolvedNetwork) -> Model {
        let model = Model(network: network, seed: 7, pool: ThreadPool(threads: 2))
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.05, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()
        let (images, labels) = ModelBenchmark.syntheticBatch(16, shape: (3, 32, 32), classes: 10)
        for _ in 0..<3 {
            model.zeroGradients()
            _ = loss.forward(logits: model.forward(images, training: true), labels: labels)
            model.backward(loss.gradient)
            optimizer.step()
        }
        return model
    }

    @Test func onnxGraphHasTheLayersInOrderAndTheWeightsByName() throws {
        let network = try Self.network("lenet")
        let export = try ModelExport(
            model: Model(network: network, seed: 1, pool: ThreadPool(threads: 1)),
            mean: Self.mean, std: Self.std, classNames: (0..<10).map { "class \"\($0)\"" })
        let model = try ProtobufFields(export.onnx())
        #expect(model.integer(1) == 8)
        #expect(try model.messages(8).first?.integer(2) == 13)
        let graph = try #require(try model.messages(7).first)
        let nodes = try graph.messages(1)
        #expect(
            nodes.flatMap { $0.strings(4) } == [
                "Sub", "Div", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
                "Relu",
                "Gemm", "Identity",
            ])
        #expect(nodes[2].strings(1) == ["/input.normalized", "conv1.weight", "conv1.bias"])
        let initializers = try graph.messages(5)
        #expect(
            Set(initializers.flatMap { $0.strings(8) })
                == Set(network.parameterShapes.map(\.name) + ["input.mean", "input.std"]))
        let fc1 = try #require(initializers.first { $0.strings(8) == ["fc1.weight"] })
        #expect(fc1.fields.first { $0.field == 9 }?.value == .bytes(export.tensors["fc1.weight"]!.bytes))
        let metadata = try model.messages(14).map { $0.strings(1) + $0.strings(2) }
        #expect(
            metadata.first == [
                "class_names", "[" + (0..<10).map { "\"class \\\"\($0)\\\"\"" }.joined(separator: ", ") + "]",
            ])
        #expect(metadata.last == ["network", ModelPreset.lenet.text])
    }

    @Test func residualsAddTheirBranchesAndDropoutIsLeftOut() throws {
        let resnet = try ProtobufFields(
            ModelExport(
                model: Model(network: Self.network("resnet9"), seed: 1, pool: ThreadPool(threads: 1)),
                mean: Self.mean, std: Self.std, classNames: (0..<10).map(String.init)
            ).onnx())
        let nodes = try #require(try resnet.messages(7).first).messages(1)
        let add = try #require(nodes.first { $0.strings(4) == ["Add"] })
        #expect(add.strings(1) == ["/res1.5", "/pool1"])
        #expect(nodes.filter { $0.strings(4) == ["BatchNormalization"] }.count == 8)
        let vgg = try ProtobufFields(
            ModelExport(
                model: Model(network: Self.network("vgg"), seed: 1, pool: ThreadPool(threads: 1)),
                mean: Self.mean, std: Self.std, classNames: (0..<10).map(String.init)
            ).onnx())
        let vggNodes = try #require(try vgg.messages(7).first).messages(1)
        #expect(!vggNodes.contains { $0.strings(4) == ["Dropout"] })
        #expect(vggNodes.first { $0.strings(4) == ["Gemm"] }?.strings(1).first == "/6")
    }

    @Test func pytorchModuleNamesItsLayersLikeTheWeights() throws {
        let network = try Self.network("vgg")
        let export = try ModelExport(
            model: Model(network: network, seed: 1, pool: ThreadPool(threads: 1)),
            mean: Self.mean, std: Self.std, classNames: (0..<10).map(String.init))
        let module = export.pytorchModule()
        #expect(
            module.contains(
                """
                            ("stage1", nn.Sequential(
                                nn.Sequential(OrderedDict([
                                    ("conv", nn.Conv2d(3, 32, 3, stride=1, padding=1, bias=False)),
                                    ("bn", nn.BatchNorm2d(32)),
                                    ("2", nn.ReLU()),
                                ])),
                """))
        #expect(module.contains("(\"drop1\", nn.Dropout(0.3)),"))
        #expect(module.contains("(\"fc1\", nn.Linear(2048, 256)),"))
        #expect(Set(export.weights.tensors.keys) == Set((network.parameterShapes + network.bufferShapes).map(\.name)))
    }

    @Test func missingOrMisshapenTensorsAreRefused() throws {
        let network = try Self.network("lenet")
        let export = try ModelExport(
            model: Model(network: network, seed: 1, pool: ThreadPool(threads: 1)),
            mean: Self.mean, std: Self.std, classNames: (0..<10).map(String.init))
        var tensors = export.tensors
        tensors["fc3.bias"] = nil
        #expect(throws: CheckpointError(file: "x", problem: "tensor fc3.bias of network lenet is missing")) {
            try ModelExport(
                network: network, tensors: tensors, mean: Self.mean, std: Self.std,
                classNames: (0..<10).map(String.init), source: "x")
        }
        tensors["fc3.bias"] = SafeTensorsTensor(float32: [0, 0], shape: [2])
        #expect(throws: CheckpointError(file: "x", problem: "tensor fc3.bias has shape [2], network lenet needs [10]"))
        {
            try ModelExport(
                network: network, tensors: tensors, mean: Self.mean, std: Self.std,
                classNames: (0..<10).map(String.init), source: "x")
        }
    }

    /// Writes, per network, the ONNX file, the PyTorch folder and `<name>-io.safetensors` (raw
    /// images in [0, 1] and convtop's evaluation-mode logits for them) into the folder named by
    /// CONVTOP_EXPORT_CHECK, for Tests/Reference/check_export.py.
    @Test(arguments: ["lenet", "resnet9", "vgg"])
    func writesExportsForTheReferenceCheck(name: String) throws {
        let network = try Self.network(name)
        let model = Self.trainedModel(network)
        let (raw, _) = ModelBenchmark.syntheticBatch(6, shape: (3, 32, 32), classes: 10)
        let images = raw.values.map { ($0 + 1) / 2 }
        let plane = 32 * 32
        let normalized = images.enumerated().map { i, x in (x - Self.mean[i / plane % 3]) / Self.std[i / plane % 3] }
        let logits = model.forward(Tensor(shape: [6, 3, 32, 32], values: normalized), training: false)
        #expect(logits.values.allSatisfy { $0.isFinite })
        let export = try ModelExport(
            model: model, mean: Self.mean, std: Self.std, classNames: (0..<10).map { "class\($0)" })
        guard let folder = ProcessInfo.processInfo.environment["CONVTOP_EXPORT_CHECK"] else { return }
        let base = URL(fileURLWithPath: folder)
        try Data(export.onnx()).write(to: base.appendingPathComponent("\(name).onnx"))
        let module = base.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
        try Data(export.pytorchModule().utf8).write(to: module.appendingPathComponent("model.py"))
        try export.weights.write(toFile: module.appendingPathComponent("model.safetensors").path)
        try SafeTensors(
            tensors: [
                "input": SafeTensorsTensor(float32: images, shape: [6, 3, 32, 32]),
                "logits": SafeTensorsTensor(float32: logits.values, shape: logits.shape),
            ],
            metadata: ["parameter_count": String(network.parameterCount)]
        )
        .write(toFile: base.appendingPathComponent("\(name)-io.safetensors").path)
    }
}
