import Foundation

/// One line of `metrics.jsonl`: a training event with the wall-clock time it was written.
///
/// The line is a flat JSON object with a `type` field (`started`, `step`, `epoch`, `evaluation`,
/// `paused`, `resumed`, `lr_changed`, `checkpoint_saved`, `warning`, `finished`, `failed`) and the
/// global `step` it happened at, so that a run's history, including every intervention, can be
/// read back and charted. Evaluations keep their split, loss, accuracy (a fraction), per-class
/// accuracy and confusion counts; their images stay out of the file.
public struct MetricsRecord: Sendable, Equatable {
    /// Seconds since 1970 when the event was recorded.
    public var time: Double
    /// The global step the event happened at.
    public var step: Int
    /// The event; evaluations carry no sample or misclassified images.
    public var event: TrainingEvent

    public init(time: Double, step: Int, event: TrainingEvent) {
        self.time = time
        self.step = step
        self.event = event.withoutImages
    }

    /// The record's JSON line, without the newline.
    public func jsonLine() -> String {
        let data = (try? Self.encoder.encode(Line(self))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses one line written by `jsonLine()`.
    public init(jsonLine: Substring) throws {
        let line = try Self.decoder.decode(Line.self, from: Data(jsonLine.utf8))
        self = try line.record()
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()
}

extension TrainingEvent {
    /// The journal's `type` for this event.
    public var journalType: String {
        switch self {
        case .started: "started"
        case .step: "step"
        case .epochCompleted: "epoch"
        case .evaluation: "evaluation"
        case .paused: "paused"
        case .resumed: "resumed"
        case .learningRateChanged: "lr_changed"
        case .checkpointSaved: "checkpoint_saved"
        case .warning: "warning"
        case .finished: "finished"
        case .failed: "failed"
        }
    }

    /// The global step the event names, for events that carry one.
    public var step: Int? {
        switch self {
        case .started(let summary): summary.startStep
        case .step(let metrics): metrics.step
        case .epochCompleted(let summary): summary.step
        case .evaluation(let evaluation): evaluation.step
        case .paused(let step, _), .resumed(let step), .learningRateChanged(_, _, let step),
             .checkpointSaved(_, let step):
            step
        case .finished(let result): result.step
        case .warning, .failed: nil
        }
    }

    var withoutImages: TrainingEvent {
        switch self {
        case .evaluation(let evaluation):
            return .evaluation(evaluation.withoutImages)
        case .finished(var result):
            result.lastEvaluation = result.lastEvaluation?.withoutImages
            return .finished(result)
        default:
            return self
        }
    }
}

extension Evaluation {
    var withoutImages: Evaluation {
        var copy = self
        copy.samples = []
        copy.misclassified = []
        return copy
    }
}

/// The JSON shape of a record: a header (`type`, `time`, `step`) and the fields of one event,
/// encoded side by side in the same object.
private struct Line: Codable {
    var header: Header
    var event: TrainingEvent

    struct Header: Codable {
        var type: String
        var time: Double
        var step: Int
    }

    init(_ record: MetricsRecord) {
        header = Header(type: record.event.journalType, time: record.time, step: record.step)
        event = record.event
    }

    func record() throws -> MetricsRecord {
        MetricsRecord(time: header.time, step: header.step, event: event)
    }

    func encode(to encoder: Encoder) throws {
        try header.encode(to: encoder)
        switch event {
        case .started(let summary): try StartedFields(summary).encode(to: encoder)
        case .step(let metrics): try StepFields(metrics).encode(to: encoder)
        case .epochCompleted(let summary): try EpochFields(summary).encode(to: encoder)
        case .evaluation(let evaluation): try EvaluationFields(evaluation).encode(to: encoder)
        case .paused(_, let reason): try ReasonFields(reason: reason).encode(to: encoder)
        case .resumed: break
        case .learningRateChanged(let old, let new, _):
            try LearningRateFields(oldLr: old, lr: new).encode(to: encoder)
        case .checkpointSaved(let path, _): try PathFields(path: path).encode(to: encoder)
        case .warning(let message), .failed(let message):
            try MessageFields(message: message).encode(to: encoder)
        case .finished(let result): try FinishedFields(result).encode(to: encoder)
        }
    }

    init(from decoder: Decoder) throws {
        header = try Header(from: decoder)
        let step = header.step
        switch header.type {
        case "started": event = .started(try StartedFields(from: decoder).summary(step: step))
        case "step": event = .step(try StepFields(from: decoder).metrics(step: step))
        case "epoch": event = .epochCompleted(try EpochFields(from: decoder).summary(step: step))
        case "evaluation": event = .evaluation(try EvaluationFields(from: decoder).evaluation(step: step))
        case "paused": event = .paused(step: step, reason: try ReasonFields(from: decoder).reason)
        case "resumed": event = .resumed(step: step)
        case "lr_changed":
            let fields = try LearningRateFields(from: decoder)
            event = .learningRateChanged(old: fields.oldLr, new: fields.lr, step: step)
        case "checkpoint_saved": event = .checkpointSaved(path: try PathFields(from: decoder).path, step: step)
        case "warning": event = .warning(try MessageFields(from: decoder).message)
        case "failed": event = .failed(try MessageFields(from: decoder).message)
        case "finished": event = .finished(try FinishedFields(from: decoder).result(step: step))
        default: throw ProtocolError("unknown record type \"\(header.type)\"")
        }
    }
}

private struct StartedFields: Codable {
    var runName, runDirectory, dataset, model: String
    var parameterCount: Int
    var classNames: [String]
    var imageShape: [Int]
    var trainCount, testCount, validationCount, epochs, stepsPerEpoch, batchSize, threads: Int
    var optimizer: String
    var lr: Double
    /// Absent from journals written before test flips existed.
    var testFlips: Bool?
    var kernel: String

    init(_ s: RunSummary) {
        runName = s.runName
        runDirectory = s.runDirectory
        dataset = s.datasetName
        model = s.modelName
        parameterCount = s.parameterCount
        classNames = s.classNames
        imageShape = [s.imageShape.channels, s.imageShape.height, s.imageShape.width]
        trainCount = s.trainCount
        testCount = s.testCount
        validationCount = s.validationCount
        epochs = s.epochs
        stepsPerEpoch = s.stepsPerEpoch
        batchSize = s.batchSize
        threads = s.threads
        optimizer = s.optimizer
        lr = s.learningRate
        testFlips = s.testFlips
        kernel = s.kernel
    }

    func summary(step: Int) throws -> RunSummary {
        guard imageShape.count == 3 else {
            throw ProtocolError("image_shape needs 3 numbers, found \(imageShape.count)")
        }
        return RunSummary(
            runName: runName, runDirectory: runDirectory, datasetName: dataset, modelName: model,
            parameterCount: parameterCount, classNames: classNames,
            imageShape: ImageShape(channels: imageShape[0], height: imageShape[1], width: imageShape[2]),
            trainCount: trainCount, testCount: testCount, validationCount: validationCount, epochs: epochs,
            stepsPerEpoch: stepsPerEpoch, batchSize: batchSize, threads: threads, optimizer: optimizer,
            learningRate: lr, testFlips: testFlips ?? false, kernel: kernel, startStep: step)
    }
}

private struct StepFields: Codable {
    var epoch, stepInEpoch, stepsPerEpoch: Int
    var loss, accuracy: Float
    var lr, imagesPerSecond, elapsed: Double

    init(_ m: StepMetrics) {
        epoch = m.epoch
        stepInEpoch = m.stepInEpoch
        stepsPerEpoch = m.stepsPerEpoch
        loss = m.loss
        accuracy = m.accuracy
        lr = m.learningRate
        imagesPerSecond = m.imagesPerSecond
        elapsed = m.elapsed
    }

    func metrics(step: Int) -> StepMetrics {
        StepMetrics(epoch: epoch, step: step, stepInEpoch: stepInEpoch, stepsPerEpoch: stepsPerEpoch, loss: loss,
                    accuracy: accuracy, learningRate: lr, imagesPerSecond: imagesPerSecond, elapsed: elapsed)
    }
}

private struct EpochFields: Codable {
    var epoch: Int
    var loss, accuracy: Float
    var seconds: Double

    init(_ s: EpochSummary) {
        epoch = s.epoch
        loss = s.loss
        accuracy = s.accuracy
        seconds = s.seconds
    }

    func summary(step: Int) -> EpochSummary {
        EpochSummary(epoch: epoch, step: step, loss: loss, accuracy: accuracy, seconds: seconds)
    }
}

private struct EvaluationFields: Codable {
    var split: Split
    var epoch: Int
    var loss, accuracy: Float
    var perClassAccuracy: [Float]
    var confusion: [[Int]]

    init(_ e: Evaluation) {
        split = e.split
        epoch = e.epoch
        loss = e.loss
        accuracy = e.accuracy
        perClassAccuracy = e.perClassAccuracy
        confusion = e.confusion.counts
    }

    func evaluation(step: Int) -> Evaluation {
        Evaluation(split: split, epoch: epoch, step: step, loss: loss, accuracy: accuracy,
                   confusion: ConfusionMatrix(counts: confusion), samples: [], misclassified: [])
    }
}

private struct ReasonFields: Codable { var reason: String? }
private struct LearningRateFields: Codable { var oldLr, lr: Double }
private struct PathFields: Codable { var path: String }
private struct MessageFields: Codable { var message: String }

private struct FinishedFields: Codable {
    var epoch: Int
    var seconds: Double
    var checkpoint: String?
    var lastEvaluation: LastEvaluation?

    /// The final evaluation, nested because its `step` differs from the record's.
    struct LastEvaluation: Codable {
        var step: Int
        var fields: EvaluationFields

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: StepKey.self)
            try container.encode(step, forKey: .step)
            try fields.encode(to: encoder)
        }

        init(from decoder: Decoder) throws {
            step = try decoder.container(keyedBy: StepKey.self).decode(Int.self, forKey: .step)
            fields = try EvaluationFields(from: decoder)
        }

        init(step: Int, fields: EvaluationFields) {
            self.step = step
            self.fields = fields
        }

        enum StepKey: String, CodingKey { case step }
    }

    init(_ r: FinalResult) {
        epoch = r.epoch
        seconds = r.seconds
        checkpoint = r.checkpointPath
        lastEvaluation = r.lastEvaluation.map { LastEvaluation(step: $0.step, fields: EvaluationFields($0)) }
    }

    func result(step: Int) -> FinalResult {
        FinalResult(step: step, epoch: epoch, seconds: seconds,
                    lastEvaluation: lastEvaluation.map { $0.fields.evaluation(step: $0.step) },
                    checkpointPath: checkpoint)
    }
}
