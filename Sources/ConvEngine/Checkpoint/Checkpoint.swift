/// Everything needed to resume a training run, in one safetensors file.
///
/// Layout of the file:
/// - the model's `state_dict` under PyTorch's names and shapes, `F32`, except BatchNorm's
///   `num_batches_tracked`, which PyTorch keeps as an `I64` scalar; so after dropping the keys that
///   start with `optimizer.`, `load_state_dict(strict=True)` accepts it (Tests/Reference/check_checkpoint.py);
/// - the optimizer's state as `optimizer.<parameter>.<PyTorch state key>`
///   (`optimizer.fc1.weight.momentum_buffer`), `F32`;
/// - `__metadata__`: `CheckpointMetadata` as strings, plus `checksum`, a hash of every tensor, so a
///   file damaged after saving is refused instead of silently resuming from garbage.
public struct Checkpoint: Sendable {
    public let metadata: CheckpointMetadata
    /// Model tensors under `state_dict` names and optimizer tensors under `optimizerPrefix`.
    public let tensors: [String: SafeTensorsTensor]
    /// The file it was read from, for messages; "unsaved checkpoint" for a captured one.
    public let file: String

    /// The prefix of optimizer tensors; PyTorch's `load_state_dict` must be given the others only.
    public static let optimizerPrefix = "optimizer."

    /// Captures the model's parameters and buffers and the optimizer's state as they are now.
    public init(model: Model, optimizer: any Optimizer, run: RunState) {
        var tensors: [String: SafeTensorsTensor] = [:]
        for entry in model.stateDict { tensors[entry.name] = entry.safeTensor }
        for entry in optimizer.namedState {
            tensors[Self.optimizerPrefix + entry.name] = SafeTensorsTensor(
                float32: entry.value.values, shape: entry.value.shape)
        }
        self.tensors = tensors
        metadata = CheckpointMetadata(
            model: model.name, network: model.architecture?.file.text, inputShape: model.inputShape,
            classes: model.outputShape.reduce(1, *),
            optimizer: optimizer.name, hyperparameters: Self.hyperparameters(of: optimizer), run: run,
            dropoutGenerators: Dictionary(
                model.dropoutGenerators.map { ($0.name, $0.generator) }, uniquingKeysWith: { first, _ in first }))
        file = "unsaved checkpoint"
    }

    /// Reads a checkpoint and checks its format, metadata and checksum; whether it fits a model is
    /// checked by `restore`.
    public init(contentsOfFile path: String) throws(CheckpointError) {
        let contents = try SafeTensors(contentsOfFile: path)
        func failure(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }
        metadata = try CheckpointMetadata(strings: contents.metadata, failure: failure)
        guard let checksum = contents.metadata["checksum"] else { throw failure("__metadata__ has no \"checksum\"") }
        guard checksum == Self.checksum(of: contents.tensors) else {
            throw failure("checksum mismatch: the file was damaged or changed after it was saved")
        }
        tensors = contents.tensors
        file = path
    }

    /// Writes the checkpoint atomically (see `AtomicFile`). A model or optimizer state holding NaN
    /// or infinity is refused: resuming from it could only repeat the divergence. So is metadata
    /// the reader would refuse, such as normalisation for another channel count.
    public func write(toFile path: String) throws(CheckpointError) {
        _ = try CheckpointMetadata(strings: metadata.strings) {
            CheckpointError(file: path, problem: "not saved: " + $0)
        }
        for name in tensors.keys.sorted() {
            if let bad = tensors[name]!.float32Values()?.first(where: { !$0.isFinite }) {
                throw CheckpointError(
                    file: path, problem: "not saved: \(name) holds \(bad); the previous file is unchanged")
            }
        }
        var strings = metadata.strings
        strings["checksum"] = Self.checksum(of: tensors)
        try SafeTensors(tensors: tensors, metadata: strings).write(toFile: path)
    }

    /// Copies the saved tensors into `model` and `optimizer` after checking that the checkpoint is
    /// for this model (preset, input shape, classes), this optimizer, and holds exactly their
    /// tensors with their shapes. On error nothing has been changed. Also restores the learning rate
    /// and the dropout layers' generators (a checkpoint from before they were saved leaves them).
    public func restore(into model: Model, optimizer: any Optimizer) throws(CheckpointError) {
        func failure(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        try checkFits(model)
        guard metadata.optimizer == optimizer.name else {
            throw failure("checkpoint holds \(metadata.optimizer) optimizer state, not \(optimizer.name)")
        }
        let modelTensors = try values(for: model.stateDict, prefix: "", failure: failure)
        let optimizerTensors = try values(for: optimizer.namedState, prefix: Self.optimizerPrefix, failure: failure)
        let expected = Set(model.stateDict.map(\.name) + optimizer.namedState.map { Self.optimizerPrefix + $0.name })
        if let extra = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw failure("tensor \(extra) belongs to neither model \(model.name) nor its \(optimizer.name) optimizer")
        }
        let dropoutNames = Set(model.dropoutGenerators.map(\.name))
        if !metadata.dropoutGenerators.isEmpty, Set(metadata.dropoutGenerators.keys) != dropoutNames {
            throw failure(
                "checkpoint holds generators for dropout layers \(metadata.dropoutGenerators.keys.sorted()), "
                    + "model \(model.name) has \(dropoutNames.sorted())")
        }
        do {
            try model.load(modelTensors)
            try optimizer.loadState(optimizerTensors)
        } catch {
            throw failure("\(error)")
        }
        model.restoreDropoutGenerators(metadata.dropoutGenerators)
        if let rate = metadata.hyperparameters["lr"] { optimizer.learningRate = rate }
    }

    /// Copies the saved parameters and buffers into `model`, for evaluation or export: the
    /// optimizer's state is not read, so a run that froze layers (and kept no state for them) or
    /// averaged its weights loads as any other. On error nothing has been changed.
    public func restoreWeights(into model: Model) throws(CheckpointError) {
        func failure(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        try checkFits(model)
        let modelTensors = try values(for: model.stateDict, prefix: "", failure: failure)
        let names = Set(model.stateDict.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !$0.hasPrefix(Self.optimizerPrefix) && !names.contains($0) }
        ) {
            throw failure("tensor \(extra) does not belong to model \(model.name)")
        }
        do {
            try model.load(modelTensors)
        } catch {
            throw failure("\(error)")
        }
    }

    /// Throws unless the checkpoint is for `model`'s preset or network, input shape and classes.
    private func checkFits(_ model: Model) throws(CheckpointError) {
        let (name, inputShape, classes) = (model.name, model.inputShape, model.outputShape.reduce(1, *))
        guard (metadata.model, metadata.inputShape, metadata.classes) == (name, inputShape, classes) else {
            let wanted = CheckpointMetadata.modelDescription(name, inputShape: inputShape, classes: classes)
            throw CheckpointError(
                file: file, problem: "checkpoint is for model \(metadata.modelDescription), not \(wanted)")
        }
    }

    /// The saved tensors for `targets` as engine tensors, checking presence, dtype and shape.
    private func values(
        for targets: [NamedTensor], prefix: String,
        failure: (String) -> CheckpointError
    ) throws(CheckpointError) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for target in targets {
            let key = prefix + target.name
            guard let stored = tensors[key] else { throw failure("tensor \(key) is missing") }
            guard stored.shape == target.value.shape else {
                throw failure("tensor \(key) has shape \(stored.shape), the model needs \(target.value.shape)")
            }
            let values: [Float]? =
                NamedTensor.isCount(target.name) && prefix.isEmpty
                ? stored.int64Values()?.map { Float($0) }
                : stored.float32Values()
            guard let values else { throw failure("tensor \(key) has dtype \(stored.dtype.rawValue)") }
            result[target.name] = Tensor(shape: stored.shape, values: values)
        }
        return result
    }

    private static func hyperparameters(of optimizer: any Optimizer) -> [String: Double] {
        switch optimizer {
        case let lookahead as Lookahead:
            hyperparameters(of: lookahead.inner).merging([
                "lookahead_interval": Double(lookahead.interval),
                "lookahead_total_steps": Double(lookahead.totalSteps),
            ]) { $1 }
        case let sgd as SGD:
            [
                "lr": sgd.learningRate, "momentum": Double(sgd.momentum), "weight_decay": Double(sgd.weightDecay),
                "nesterov": sgd.nesterov ? 1 : 0,
            ]
        case let adam as Adam:
            [
                "lr": adam.learningRate, "beta1": adam.beta1, "beta2": adam.beta2, "eps": adam.epsilon,
                "weight_decay": adam.weightDecay,
            ]
        default:
            ["lr": optimizer.learningRate]
        }
    }

    /// FNV-1a (64-bit) over every tensor's name, dtype, shape and bytes, in name order.
    static func checksum(of tensors: [String: SafeTensorsTensor]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<S: Sequence<UInt8>>(_ bytes: S) {
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        for name in tensors.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let tensor = tensors[name]!
            mix("\(name)\0\(tensor.dtype.rawValue)\0\(tensor.shape)\0".utf8)
            tensor.bytes.withUnsafeBufferPointer { mix($0) }
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension NamedTensor {
    /// Whether the tensor named `name` is a count that PyTorch stores as an integer (batch norm's
    /// `num_batches_tracked`) rather than a weight.
    static func isCount(_ name: String) -> Bool { name.hasSuffix("num_batches_tracked") }

    /// The tensor as a `state_dict` entry in safetensors: a count as `I64`, anything else `F32`.
    var safeTensor: SafeTensorsTensor {
        Self.isCount(name)
            ? SafeTensorsTensor(int64: value.values.map { Int64($0.rounded()) }, shape: value.shape)
            : SafeTensorsTensor(float32: value.values, shape: value.shape)
    }
}
