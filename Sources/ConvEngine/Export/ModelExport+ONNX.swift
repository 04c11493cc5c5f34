extension ModelExport {
    /// The ONNX IR version and default-domain opset written; onnxruntime 1.x reads both.
    public static let onnxIRVersion = 8, onnxOpset = 13

    /// An ONNX model (https://onnx.ai/onnx/repo-docs/IR.html): input `input` (N, C, H, W) in
    /// [0, 1], output `logits` (N, classes). The normalisation is the first two nodes (Sub, Div),
    /// batch norm runs in evaluation mode, dropout is left out (it is the identity in inference),
    /// and the class names are in the metadata as `class_names` (a JSON list), with the network
    /// file as `network`. Initialisers carry the `state_dict` names.
    public func onnx() -> [UInt8] {
        var graph = ONNXGraph(export: self)
        let channels = network.inputShape[0]
        graph.initializer("input.mean", shape: [1, channels, 1, 1], values: mean)
        graph.initializer("input.std", shape: [1, channels, 1, 1], values: std)
        let centred = graph.node("Sub", output: "/input.centred", inputs: ["input", "input.mean"])
        var x = graph.node("Div", output: "/input.normalized", inputs: [centred, "input.std"])
        x = graph.layers(network.layers, prefix: "", input: x)
        _ = graph.node("Identity", output: "logits", inputs: [x])

        var graphMessage = ProtobufMessage()
        for node in graph.nodes { graphMessage.message(1, node) }
        graphMessage.string(2, network.name)
        for initializer in graph.initializers { graphMessage.message(5, initializer) }
        graphMessage.message(
            11, Self.valueInfo("input", dims: [.symbol("batch")] + network.inputShape.map { .size($0) }))
        graphMessage.message(12, Self.valueInfo("logits", dims: [.symbol("batch"), .size(network.classes)]))

        var model = ProtobufMessage()
        model.integer(1, Self.onnxIRVersion)
        model.string(2, "convtop")
        model.message(7, graphMessage)
        var opset = ProtobufMessage()
        opset.string(1, "")
        opset.integer(2, Self.onnxOpset)
        model.message(8, opset)
        let classList = "[" + classNames.map(Self.jsonString).joined(separator: ", ") + "]"
        for (key, value) in [("class_names", classList), ("network", network.file.text)] {
            var entry = ProtobufMessage()
            entry.string(1, key)
            entry.string(2, value)
            model.message(14, entry)
        }
        return model.bytes
    }

    private enum Dimension {
        case size(Int)
        case symbol(String)
    }

    /// ValueInfoProto of a float tensor.
    private static func valueInfo(_ name: String, dims: [Dimension]) -> ProtobufMessage {
        var shape = ProtobufMessage()
        for dim in dims {
            var dimension = ProtobufMessage()
            switch dim {
            case .size(let n): dimension.integer(1, n)
            case .symbol(let s): dimension.string(2, s)
            }
            shape.message(1, dimension)
        }
        var tensorType = ProtobufMessage()
        tensorType.integer(1, ONNXGraph.float)
        tensorType.message(2, shape)
        var type = ProtobufMessage()
        type.message(1, tensorType)
        var info = ProtobufMessage()
        info.string(1, name)
        info.message(2, type)
        return info
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// The nodes and initialisers of an ONNX graph. Initialisers carry `state_dict` names; a layer's
/// node and output are named `/` and its path (`/res1.conv1`), which no tensor or graph input is.
private struct ONNXGraph {
    /// TensorProto.DataType FLOAT.
    static let float = 1
    /// The epsilon of the engine's `BatchNorm2d`.
    static let batchNormEpsilon: Float = 1e-5

    let export: ModelExport
    var nodes: [ProtobufMessage] = []
    var initializers: [ProtobufMessage] = []

    init(export: ModelExport) { self.export = export }

    mutating func initializer(_ name: String, shape: [Int], values: [Float]) {
        var tensor = ProtobufMessage()
        tensor.packedIntegers(1, shape)
        tensor.integer(2, Self.float)
        tensor.string(8, name)
        tensor.data(9, values.withUnsafeBytes { Array($0) })
        initializers.append(tensor)
    }

    /// Adds a `state_dict` tensor as an initialiser under its own name.
    mutating func weight(_ name: String) -> String {
        initializer(name, shape: export.tensors[name]!.shape, values: export.values(name))
        return name
    }

    enum Attribute {
        case int(Int)
        case ints([Int])
        case float(Float)
    }

    /// Adds a node whose one output is `output` (also its name), and returns that name.
    mutating func node(_ op: String, output: String, inputs: [String], attributes: [(String, Attribute)] = []) -> String
    {
        var node = ProtobufMessage()
        for input in inputs { node.string(1, input) }
        node.string(2, output)
        node.string(3, output)
        node.string(4, op)
        for (name, value) in attributes {
            var attribute = ProtobufMessage()
            attribute.string(1, name)
            switch value {
            case .float(let f):
                attribute.float(2, f)
                attribute.integer(20, 1)
            case .int(let i):
                attribute.integer(3, i)
                attribute.integer(20, 2)
            case .ints(let list):
                attribute.packedIntegers(8, list)
                attribute.integer(20, 7)
            }
            node.message(5, attribute)
        }
        nodes.append(node)
        return output
    }

    /// Adds `layers`, whose `state_dict` names start with `prefix`, applied to `input`; returns
    /// the name of their output.
    mutating func layers(_ layers: [ResolvedLayer], prefix: String, input: String) -> String {
        var x = input
        for layer in layers {
            let path = prefix + layer.name
            let output = "/" + path
            switch layer.operation {
            case .conv(let c):
                let inputs = [x, weight(path + ".weight")] + (c.bias ? [weight(path + ".bias")] : [])
                x = node(
                    "Conv", output: output, inputs: inputs,
                    attributes: [
                        ("kernel_shape", .ints([c.kernel, c.kernel])), ("strides", .ints([c.stride, c.stride])),
                        ("pads", .ints(Array(repeating: c.padding, count: 4))),
                    ])
            case .linear:
                x = node(
                    "Gemm", output: output, inputs: [x, weight(path + ".weight"), weight(path + ".bias")],
                    attributes: [("transB", .int(1))])
            case .batchNorm:
                let inputs = [x] + ["weight", "bias", "running_mean", "running_var"].map { weight(path + "." + $0) }
                x = node(
                    "BatchNormalization", output: output, inputs: inputs,
                    attributes: [("epsilon", .float(Self.batchNormEpsilon))])
            case .relu:
                x = node("Relu", output: output, inputs: [x])
            case .maxPool(let kernel, let stride), .avgPool(let kernel, let stride):
                let op = if case .maxPool = layer.operation { "MaxPool" } else { "AveragePool" }
                x = node(
                    op, output: output, inputs: [x],
                    attributes: [
                        ("kernel_shape", .ints([kernel, kernel])), ("strides", .ints([stride, stride])),
                    ])
            case .globalAvgPool:
                let pooled = node("GlobalAveragePool", output: output + "/pooled", inputs: [x])
                x = node("Flatten", output: output, inputs: [pooled], attributes: [("axis", .int(1))])
            case .dropout:
                break
            case .flatten:
                x = node("Flatten", output: output, inputs: [x], attributes: [("axis", .int(1))])
            case .residual(let body, let shortcut):
                let branch = self.layers(body, prefix: path + ".", input: x)
                let skip = shortcut.map { self.layers($0, prefix: path + ".shortcut.", input: x) } ?? x
                x = node("Add", output: output, inputs: [branch, skip])
            case .repeat(let passes):
                for (pass, body) in passes.enumerated() {
                    x = self.layers(body, prefix: "\(path).\(pass).", input: x)
                }
            }
        }
        return x
    }
}
