import ConvData
import ConvEngine
import Foundation

/// Everything needed to continue a run or evaluate its model, as one safetensors file.
///
/// Model tensors keep their PyTorch `state_dict` names (`conv1.weight`), so the file loads into
/// the PyTorch twin of the preset; optimizer state is stored under `optimizer.<name>`; the
/// settings, dataset, normalisation and the position in the run go in `__metadata__`.
public struct TrainingCheckpoint: Sendable {
    public var configuration: TrainingConfiguration
    public var datasetName: String
    public var classNames: [String]
    public var imageShape: ImageShape
    public var normalization: Normalization
    /// Optimizer steps done.
    public var step: Int
    /// The next batch to train.
    public var position: BatchPosition
    /// Interventions multiply the scheduled learning rate by this factor from then on.
    public var learningRateScale: Double
    /// Model tensors by `state_dict` name, optimizer state tensors by `optimizer.<name>`.
    public var tensors: [String: SafeTensorsTensor]

    static let optimizerPrefix = "optimizer."
    static let formatName = "convtop-training-checkpoint-1"

    public init(configuration: TrainingConfiguration, datasetName: String, classNames: [String],
                imageShape: ImageShape, normalization: Normalization, step: Int, position: BatchPosition,
                learningRateScale: Double, tensors: [String: SafeTensorsTensor]) {
        self.configuration = configuration
        self.datasetName = datasetName
        self.classNames = classNames
        self.imageShape = imageShape
        self.normalization = normalization
        self.step = step
        self.position = position
        self.learningRateScale = learningRateScale
        self.tensors = tensors
    }

    /// The model's and the optimizer's tensors, copied.
    public static func tensors(model: Model, optimizer: (any Optimizer)?) -> [String: SafeTensorsTensor] {
        var tensors: [String: SafeTensorsTensor] = [:]
        for named in model.stateDict {
            tensors[named.name] = SafeTensorsTensor(float32: named.value.values, shape: named.value.shape)
        }
        for named in optimizer?.namedState ?? [] {
            tensors[optimizerPrefix + named.name] = SafeTensorsTensor(float32: named.value.values, shape: named.value.shape)
        }
        return tensors
    }

    /// True when every stored model and optimizer value is a finite number.
    public var isFinite: Bool {
        tensors.values.allSatisfy { ($0.float32Values() ?? []).allSatisfy(\.isFinite) }
    }

    /// Copies the stored weights into `model` and, when given, the stored state into `optimizer`.
    /// Throws, naming `file`, when a tensor is missing or has another shape.
    public func restore(into model: Model, optimizer: (any Optimizer)?, file: String) throws {
        var modelTensors: [String: Tensor] = [:]
        var optimizerTensors: [String: Tensor] = [:]
        for (name, stored) in tensors {
            guard let values = stored.float32Values() else {
                throw CheckpointError(file: file, problem: "tensor \(name) is \(stored.dtype.rawValue), expected F32")
            }
            let tensor = Tensor(shape: stored.shape, values: values)
            if name.hasPrefix(Self.optimizerPrefix) {
                optimizerTensors[String(name.dropFirst(Self.optimizerPrefix.count))] = tensor
            } else {
                modelTensors[name] = tensor
            }
        }
        do {
            try model.load(modelTensors)
            try optimizer?.loadState(optimizerTensors)
        } catch {
            throw CheckpointError(file: file, problem: "does not fit model \(configuration.model): \(error)")
        }
    }

    /// Writes the checkpoint atomically: the old file stays whole until the new one is complete.
    public func write(to path: String) throws {
        try SafeTensors(tensors: tensors, metadata: metadata).write(toFile: path)
    }

    /// Reads a checkpoint written by `write(to:)`; a damaged or foreign file is a `CheckpointError`.
    public static func read(from path: String) throws -> TrainingCheckpoint {
        let file = try SafeTensors(contentsOfFile: path)
        return try TrainingCheckpoint(file, path: path)
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

    private var metadata: [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let configurationJSON = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let namesJSON = (try? encoder.encode(classNames)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            "format": Self.formatName,
            "preset": configuration.model,
            "configuration": configurationJSON,
            "dataset": datasetName,
            "class_names": namesJSON,
            "image_shape": "\(imageShape.channels),\(imageShape.height),\(imageShape.width)",
            "normalization_mean": normalization.mean.map { String($0) }.joined(separator: ","),
            "normalization_std": normalization.standardDeviation.map { String($0) }.joined(separator: ","),
            "step": String(step),
            "epoch": String(position.epoch),
            "batch": String(position.batch),
            "lr_scale": String(learningRateScale),
        ]
    }

    private init(_ file: SafeTensors, path: String) throws {
        let metadata = file.metadata
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }
        guard metadata["format"] == Self.formatName else {
            throw fail("not a convtop training checkpoint (no \"format\": \"\(Self.formatName)\" in its metadata)")
        }
        func value(_ key: String) throws -> String {
            guard let text = metadata[key] else { throw fail("metadata \"\(key)\" is missing") }
            return text
        }
        func integer(_ key: String) throws -> Int {
            guard let number = Int(try value(key)), number >= 0 else { throw fail("metadata \"\(key)\" is not a count") }
            return number
        }
        func floats(_ key: String) throws -> [Float] {
            let parts = try value(key).split(separator: ",").map { Float(String($0)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { throw fail("metadata \"\(key)\" is not a list of numbers") }
            return parts.map { $0! }
        }
        let decoder = JSONDecoder()
        guard let configuration = try? decoder.decode(TrainingConfiguration.self, from: Data(try value("configuration").utf8)),
              let classNames = try? decoder.decode([String].self, from: Data(try value("class_names").utf8)) else {
            throw fail("metadata \"configuration\" or \"class_names\" is not valid JSON")
        }
        let shape = try value("image_shape").split(separator: ",").compactMap { Int(String($0)) }
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else { throw fail("metadata \"image_shape\" is not C,H,W") }
        let mean = try floats("normalization_mean"), deviation = try floats("normalization_std")
        guard mean.count == shape[0], deviation.count == shape[0] else {
            throw fail("normalisation has \(mean.count) means and \(deviation.count) deviations for \(shape[0]) channels")
        }
        guard let scale = Double(try value("lr_scale")), scale > 0, scale.isFinite else {
            throw fail("metadata \"lr_scale\" is not a positive number")
        }
        self.init(configuration: configuration, datasetName: try value("dataset"), classNames: classNames,
                  imageShape: ImageShape(channels: shape[0], height: shape[1], width: shape[2]),
                  normalization: Normalization(mean: mean, standardDeviation: deviation), step: try integer("step"),
                  position: BatchPosition(epoch: try integer("epoch"), batch: try integer("batch")),
                  learningRateScale: scale, tensors: file.tensors)
    }
}
