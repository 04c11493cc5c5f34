/// A trained network ready to leave convtop: its resolved layers, its `state_dict` tensors, the
/// normalisation its inputs had and its class names. `onnx()` and `pytorchModule()` write it for
/// other tools; both take images scaled to [0, 1] and normalise them first, as training did.
public struct ModelExport: Sendable {
    public let network: ResolvedNetwork
    /// Every parameter and buffer under its `state_dict` name; `num_batches_tracked` as `I64`.
    public let tensors: [String: SafeTensorsTensor]
    /// Per channel: inputs become (x - mean) / std.
    public let mean: [Float]
    public let std: [Float]
    public let classNames: [String]

    /// Checks that `tensors` holds every tensor of `network` with its shape (float32, but for the
    /// integer `num_batches_tracked`) and that the normalisation and class names fit; `source` names
    /// where the tensors came from in errors.
    public init(
        network: ResolvedNetwork, tensors: [String: SafeTensorsTensor], mean: [Float], std: [Float],
        classNames: [String], source: String
    ) throws(CheckpointError) {
        func failure(_ problem: String) -> CheckpointError { CheckpointError(file: source, problem: problem) }
        for (name, shape) in network.parameterShapes + network.bufferShapes {
            guard let tensor = tensors[name] else {
                throw failure("tensor \(name) of network \(network.name) is missing")
            }
            guard tensor.shape == shape else {
                throw failure("tensor \(name) has shape \(tensor.shape), network \(network.name) needs \(shape)")
            }
            guard tensor.dtype == (NamedTensor.isCount(name) ? .i64 : .f32) else {
                throw failure("tensor \(name) has dtype \(tensor.dtype.rawValue)")
            }
        }
        let channels = network.inputShape[0]
        guard mean.count == channels, std.count == channels, std.allSatisfy({ $0 > 0 }) else {
            throw failure(
                "the normalisation has \(mean.count) means and \(std.count) deviations for \(channels) channels")
        }
        guard classNames.count == network.classes else {
            throw failure("\(classNames.count) class names for \(network.classes) classes")
        }
        let names = Set((network.parameterShapes + network.bufferShapes).map(\.name))
        self.network = network
        self.tensors = tensors.filter { names.contains($0.key) }
        self.mean = mean
        self.std = std
        self.classNames = classNames
    }

    /// The model's current weights; the model must have been built from a network file.
    public init(model: Model, mean: [Float], std: [Float], classNames: [String]) throws(CheckpointError) {
        guard let network = model.architecture else {
            throw CheckpointError(file: model.name, problem: "the model was not built from a network file")
        }
        var tensors: [String: SafeTensorsTensor] = [:]
        for entry in model.stateDict { tensors[entry.name] = entry.safeTensor }
        try self.init(
            network: network, tensors: tensors, mean: mean, std: std, classNames: classNames, source: model.name)
    }

    /// A float32 tensor's values (checked by `init`).
    func values(_ name: String) -> [Float] { tensors[name]!.float32Values()! }

    /// The weights as PyTorch's `load_state_dict` takes them.
    public var weights: SafeTensors { SafeTensors(tensors: tensors, metadata: ["format": "pt"]) }
}
