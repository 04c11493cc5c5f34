/// What a checkpoint says about its run, stored as strings in the safetensors `__metadata__`.
///
/// The model identity and the optimizer settings come from the model and optimizer being saved;
/// `run` comes from the training loop.
public struct CheckpointMetadata: Equatable, Sendable {
    /// The model preset name (`lenet`) or the network file's name.
    public var model: String
    /// The network file the model was built from, so the checkpoint alone can rebuild it; nil in
    /// checkpoints written before networks were files (their `model` is a preset's name).
    public var network: String?
    /// One input image: channels, height, width.
    public var inputShape: [Int]
    public var classes: Int
    /// The optimizer's name (`sgd`, `adam`, `adamw`).
    public var optimizer: String
    /// The optimizer's hyperparameters by PyTorch name (`lr`, `momentum`, `weight_decay`,
    /// `nesterov` as 0 or 1, `beta1`, `beta2`, `eps`), and with a lookahead its
    /// `lookahead_interval` and `lookahead_total_steps`.
    public var hyperparameters: [String: Double]
    public var run: RunState
    /// Each dropout layer's generator by the layer's path, stored as `dropout_rng.<path>`, so that a
    /// resumed run draws the masks the uninterrupted run would have; empty for a network without
    /// dropout and in checkpoints written before these were saved.
    public var dropoutGenerators: [String: RandomGenerator]

    public init(
        model: String, network: String? = nil, inputShape: [Int], classes: Int, optimizer: String,
        hyperparameters: [String: Double], run: RunState, dropoutGenerators: [String: RandomGenerator] = [:]
    ) {
        self.model = model
        self.network = network
        self.inputShape = inputShape
        self.classes = classes
        self.optimizer = optimizer
        self.hyperparameters = hyperparameters
        self.run = run
        self.dropoutGenerators = dropoutGenerators
    }

    /// "lenet (3x32x32, 10 classes)", for messages.
    public var modelDescription: String { Self.modelDescription(model, inputShape: inputShape, classes: classes) }

    static func modelDescription(_ model: String, inputShape: [Int], classes: Int) -> String {
        "\(model) (\(inputShape.map(String.init).joined(separator: "x")), \(classes) classes)"
    }

    /// The `__metadata__` value of `format`, which marks a file as a convtop checkpoint.
    static let formatName = "convtop-checkpoint"
    /// Bumped whenever the file layout changes in a way older readers cannot follow.
    public static let formatVersion = 1

    static let dropoutPrefix = "dropout_rng."

    /// The strings stored in the file; `checksum` is added by `Checkpoint`.
    var strings: [String: String] {
        var strings = [
            "format": Self.formatName,
            "format_version": String(Self.formatVersion),
            "model": model,
            "input_shape": inputShape.map(String.init).joined(separator: "x"),
            "classes": String(classes),
            "optimizer": optimizer,
            "dataset": run.dataset,
            "epoch": String(run.epoch),
            "step": String(run.step),
            "rng_state": run.random.state.map(String.init).joined(separator: ","),
            "normalization_mean": run.mean.map { "\($0)" }.joined(separator: ","),
            "normalization_std": run.std.map { "\($0)" }.joined(separator: ","),
        ]
        if let network { strings["network"] = network }
        for (name, generator) in dropoutGenerators {
            strings[Self.dropoutPrefix + name] = generator.state.map(String.init).joined(separator: ",")
        }
        for (name, value) in hyperparameters { strings["optimizer.\(name)"] = "\(value)" }
        for (name, value) in run.extra { strings["run.\(name)"] = value }
        return strings
    }

    /// Parses the strings of a convtop checkpoint; `failure` turns a problem into an error naming the file.
    init(strings: [String: String], failure: (String) -> CheckpointError) throws(CheckpointError) {
        guard strings["format"] == Self.formatName else {
            throw failure("not a convtop checkpoint (no \"format\": \"\(Self.formatName)\" in __metadata__)")
        }
        func text(_ key: String) throws(CheckpointError) -> String {
            guard let value = strings[key] else { throw failure("__metadata__ has no \"\(key)\"") }
            return value
        }
        func list<T>(_ key: String, separator: Character, _ parse: (Substring) -> T?) throws(CheckpointError) -> [T] {
            let value = try text(key)
            if value.isEmpty { return [] }
            var result: [T] = []
            for part in value.split(separator: separator, omittingEmptySubsequences: false) {
                guard let element = parse(part) else {
                    throw failure("__metadata__ \"\(key)\" is malformed: \"\(value)\"")
                }
                result.append(element)
            }
            return result
        }
        func integer(_ key: String) throws(CheckpointError) -> Int {
            let value = try text(key)
            guard let number = Int(value), number >= 0 else {
                throw failure("__metadata__ \"\(key)\" is not a count: \"\(value)\"")
            }
            return number
        }

        let version = try integer("format_version")
        guard version == Self.formatVersion else {
            throw failure("checkpoint format version \(version); this convtop reads version \(Self.formatVersion)")
        }
        model = try text("model")
        network = strings["network"]
        inputShape = try list("input_shape", separator: "x") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
        guard inputShape.count == 3 else {
            throw failure("__metadata__ \"input_shape\" is not CxHxW: \"\(strings["input_shape"]!)\"")
        }
        classes = try integer("classes")
        optimizer = try text("optimizer")
        var hyperparameters: [String: Double] = [:]
        for (key, value) in strings where key.hasPrefix("optimizer.") {
            guard let number = Double(value), number.isFinite else {
                throw failure("__metadata__ \"\(key)\" is not a number: \"\(value)\"")
            }
            hyperparameters[String(key.dropFirst("optimizer.".count))] = number
        }
        self.hyperparameters = hyperparameters
        func generator(_ key: String) throws(CheckpointError) -> RandomGenerator {
            guard let generator = RandomGenerator(state: try list(key, separator: ",") { UInt64($0) }) else {
                throw failure("__metadata__ \"\(key)\" is not four words, not all zero")
            }
            return generator
        }
        let random = try generator("rng_state")
        var dropoutGenerators: [String: RandomGenerator] = [:]
        for key in strings.keys where key.hasPrefix(Self.dropoutPrefix) {
            dropoutGenerators[String(key.dropFirst(Self.dropoutPrefix.count))] = try generator(key)
        }
        self.dropoutGenerators = dropoutGenerators
        let mean = try list("normalization_mean", separator: ",") { Float(String($0)) }
        let std = try list("normalization_std", separator: ",") { Float(String($0)) }
        guard mean.count == inputShape[0], std.count == inputShape[0] else {
            throw failure(
                "__metadata__ normalisation has \(mean.count) means and \(std.count) deviations for \(inputShape[0]) channels"
            )
        }
        var extra: [String: String] = [:]
        for (key, value) in strings where key.hasPrefix("run.") { extra[String(key.dropFirst("run.".count))] = value }
        run = RunState(
            dataset: try text("dataset"), epoch: try integer("epoch"), step: try integer("step"),
            random: random, mean: mean, std: std, extra: extra)
    }
}

/// Where a training run stands, beyond the tensors: what it trains on and how far it has come.
public struct RunState: Equatable, Sendable {
    /// The dataset name, as the command line spells it.
    public var dataset: String
    /// Completed epochs.
    public var epoch: Int
    /// Completed optimizer steps since the start of the run.
    public var step: Int
    /// The run's generator (shuffling, augmentation), so a resumed run continues its sequence.
    public var random: RandomGenerator
    /// Per-channel normalisation applied to the inputs: (x - mean) / std.
    public var mean: [Float]
    public var std: [Float]
    /// Anything else the training loop needs to resume (its configuration, class names), stored
    /// as `run.<key>` so that it never collides with the keys above.
    public var extra: [String: String]

    public init(
        dataset: String, epoch: Int, step: Int, random: RandomGenerator, mean: [Float], std: [Float],
        extra: [String: String] = [:]
    ) {
        self.dataset = dataset
        self.epoch = epoch
        self.step = step
        self.random = random
        self.mean = mean
        self.std = std
        self.extra = extra
    }
}
