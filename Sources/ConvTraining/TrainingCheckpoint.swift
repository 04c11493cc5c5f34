import ConvData
import ConvEngine
import Foundation

/// Everything needed to continue a run or evaluate its model: a ConvEngine `Checkpoint` (model
/// and optimizer tensors under PyTorch names, written atomically, checksummed, never with a
/// non-finite value) whose `run.*` metadata adds the training settings, the class names, the
/// dataset's folder, the batch within the epoch and the learning-rate scale.
public struct TrainingCheckpoint: Sendable {
    public var configuration: TrainingConfiguration
    public var classNames: [String]
    /// Optimizer steps done.
    public var step: Int { checkpoint.metadata.run.step }
    /// The next batch to train.
    public var position: BatchPosition
    /// Interventions multiply the scheduled learning rate by this factor from then on.
    public var learningRateScale: Double
    /// The run's best monitored figure and patience so far; nil when it monitors nothing.
    public var earlyStopping: EarlyStoppingState?
    /// The engine checkpoint: tensors and metadata.
    public var checkpoint: Checkpoint
    /// The file it was read from; nil for one captured from a model in memory.
    public private(set) var file: String?

    public var datasetName: String { checkpoint.metadata.run.dataset }

    /// The folder the run read its dataset from, so that an image folder, which has no name to
    /// look it up by, is found again; nil in checkpoints written before it was recorded.
    public var datasetFolder: String? { checkpoint.metadata.run.extra["dataset_folder"] }

    /// Model tensors by `state_dict` name, optimizer state tensors by `optimizer.<name>`.
    public var tensors: [String: SafeTensorsTensor] { checkpoint.tensors }

    /// True when every stored floating-point value is a finite number.
    public var isFinite: Bool {
        tensors.values.allSatisfy { ($0.float32Values() ?? []).allSatisfy(\.isFinite) }
    }

    /// Where the run's dataset is now: the folder it was read from when that is still there; else,
    /// for a named dataset, the dataset looked up by name. An image folder (or any unnamed one) has
    /// no name to look it up by, so a missing one is a `CheckpointError` naming the folder.
    public func datasetLocation(locator: DatasetLocator) throws -> URL {
        let name = try? DatasetName(parsing: datasetName)
        let checkpointFile = file ?? "checkpoint in memory"
        if let folder = datasetFolder {
            if FileManager.default.fileExists(atPath: folder) { return URL(fileURLWithPath: folder) }
            guard name != nil else {
                throw CheckpointError(
                    file: checkpointFile, problem: "trained on \(folder), which is no longer there; give --data PATH")
            }
        }
        guard let name else {
            throw CheckpointError(
                file: checkpointFile,
                problem: "trained on \(datasetName), a folder it does not record (written by an older convtop); "
                    + "give --data PATH")
        }
        return try locator.locate(name)
    }

    /// Channels, height and width of the images the model takes.
    public var imageShape: ImageDimensions {
        let shape = checkpoint.metadata.inputShape
        return ImageDimensions(channels: shape[0], height: shape[1], width: shape[2])
    }

    public var normalization: Normalization {
        Normalization(mean: checkpoint.metadata.run.mean, standardDeviation: checkpoint.metadata.run.std)
    }

    /// Throws, naming the file, unless the model takes `dataset`'s images and predicts its classes.
    public func check(fits dataset: Dataset) throws {
        let d = dataset.dimensions
        let shape = imageShape
        guard shape == d, classNames.count == dataset.classCount else {
            throw CheckpointError(
                file: file ?? "checkpoint in memory",
                problem: "trained on \(datasetName) "
                    + "(\(classNames.count) classes of \(shape)), but \(dataset.folder) has \(dataset.classCount) classes of \(d)"
            )
        }
    }

    /// Captures the model and optimizer as they are now, with where the run stands.
    public init(
        model: Model, optimizer: any Optimizer, configuration: TrainingConfiguration, datasetName: String,
        datasetFolder: String?, classNames: [String], normalization: Normalization, step: Int, position: BatchPosition,
        learningRateScale: Double, earlyStopping: EarlyStoppingState? = nil
    ) {
        self.configuration = configuration
        self.classNames = classNames
        self.position = position
        self.learningRateScale = learningRateScale
        self.earlyStopping = earlyStopping
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ value: T) -> String {
            (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        var extra = [
            "configuration": json(configuration), "class_names": json(classNames),
            "batch": String(position.batch), "lr_scale": String(learningRateScale),
        ]
        extra["dataset_folder"] = datasetFolder
        extra["early_stopping"] = earlyStopping.map(json)
        // The data order is a function of the seed and the position, so the generator is the seed's.
        let run = RunState(
            dataset: datasetName, epoch: position.epoch, step: step,
            random: RandomGenerator(seed: configuration.seed), mean: normalization.mean,
            std: normalization.standardDeviation, extra: extra)
        checkpoint = Checkpoint(model: model, optimizer: optimizer, run: run)
    }

    /// Copies the stored weights into `model` and the stored state into `optimizer`; throws,
    /// changing nothing, when the checkpoint is for another model or optimizer.
    public func restore(into model: Model, optimizer: any Optimizer) throws {
        try checkpoint.restore(into: model, optimizer: optimizer)
    }

    /// The stored network with the stored weights, for evaluation and prediction, computing in the
    /// precision it was trained in (so that an evaluation repeats the run's own figures).
    public func makeModel(pool: ThreadPool) throws -> Model {
        let model = Model(network: try checkpoint.network(), seed: 0, pool: pool)
        try checkpoint.restoreWeights(into: model)
        model.precision = (configuration.precision ?? .fp32).available
        return model
    }

    /// Writes the checkpoint atomically: the old file stays whole until the new one is complete.
    /// Refuses, keeping the old file, when a value is not finite.
    public func write(to path: String) throws {
        try checkpoint.write(toFile: path)
    }

    /// Reads a checkpoint written by `write(to:)`; a damaged or foreign file is a `CheckpointError`.
    public static func read(from path: String) throws -> TrainingCheckpoint {
        let checkpoint = try Checkpoint(contentsOfFile: path)
        let extra = checkpoint.metadata.run.extra
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }
        let decoder = JSONDecoder()
        guard let configurationText = extra["configuration"],
            let configuration = try? decoder.decode(TrainingConfiguration.self, from: Data(configurationText.utf8))
        else {
            throw fail("__metadata__ \"run.configuration\" is missing or not valid: not a training checkpoint")
        }
        guard let namesText = extra["class_names"],
            let classNames = try? decoder.decode([String].self, from: Data(namesText.utf8)),
            classNames.count == checkpoint.metadata.classes
        else {
            throw fail(
                "__metadata__ \"run.class_names\" is missing or does not list \(checkpoint.metadata.classes) classes")
        }
        guard let batch = extra["batch"].flatMap({ Int($0) }), batch >= 0 else {
            throw fail("__metadata__ \"run.batch\" is not a count")
        }
        guard let scale = extra["lr_scale"].flatMap({ Double($0) }), scale > 0, scale.isFinite else {
            throw fail("__metadata__ \"run.lr_scale\" is not a positive number")
        }
        var earlyStopping: EarlyStoppingState?
        if let text = extra["early_stopping"] {
            guard let state = try? decoder.decode(EarlyStoppingState.self, from: Data(text.utf8)) else {
                throw fail("__metadata__ \"run.early_stopping\" is not valid")
            }
            earlyStopping = state
        }
        return TrainingCheckpoint(
            configuration: configuration, classNames: classNames,
            position: BatchPosition(epoch: checkpoint.metadata.run.epoch, batch: batch),
            learningRateScale: scale, earlyStopping: earlyStopping, checkpoint: checkpoint, file: path)
    }

    private init(
        configuration: TrainingConfiguration, classNames: [String], position: BatchPosition,
        learningRateScale: Double, earlyStopping: EarlyStoppingState?, checkpoint: Checkpoint, file: String
    ) {
        self.configuration = configuration
        self.classNames = classNames
        self.position = position
        self.learningRateScale = learningRateScale
        self.earlyStopping = earlyStopping
        self.checkpoint = checkpoint
        self.file = file
    }

    /// Reads the checkpoint at `path`, or, when `path` is a run folder, the newest of its
    /// checkpoints that reads back whole (a damaged newer one is passed over). Returns the
    /// checkpoint and the file it came from.
    public static func load(fileOrRunFolder path: String) throws -> (checkpoint: TrainingCheckpoint, file: String) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CheckpointError(file: path, problem: "no such file or folder")
        }
        guard isFolder.boolValue else { return (try read(from: path), path) }
        var firstProblem: Error?
        for candidate in RunFolder(url: URL(fileURLWithPath: path)).checkpointCandidates() {
            do {
                return (try read(from: candidate.path), candidate.path)
            } catch {
                firstProblem = firstProblem ?? error
            }
        }
        throw firstProblem ?? CheckpointError(file: path, problem: "the folder holds no .safetensors checkpoint")
    }

    /// `--best`: the best model of the run folder at `path` (its `best.safetensors`), or, when
    /// `best` is false, what `load(fileOrRunFolder:)` reads.
    public static func load(fileOrRunFolder path: String, best: Bool) throws -> (
        checkpoint: TrainingCheckpoint, file: String
    ) {
        guard best else { return try load(fileOrRunFolder: path) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw CheckpointError(file: path, problem: "--best takes a run folder, not a file")
        }
        let file = RunFolder(url: URL(fileURLWithPath: path)).bestCheckpointFile.path
        guard FileManager.default.fileExists(atPath: file) else {
            throw CheckpointError(
                file: path,
                problem: "no best.safetensors: the run kept no best model (train with --monitor or --patience)")
        }
        return (try read(from: file), file)
    }
}
