import Foundation

/// One line of `metrics.jsonl`, and of what a session sends a viewer attached from elsewhere: a
/// training event with the wall-clock time it was written.
///
/// The line is a flat JSON object with the format's version `v` (`LineFormat`), a `type` field
/// (`started`, `init_from`, `step`, `epoch`, `evaluation`, `paused`, `resumed`, `lr_changed`, `checkpoint_saved`,
/// `warning`, `finished`, `failed`, `best`, `early_stop`, `image_marked`, `image_unmarked`, `lr_find_started`,
/// `lr_find_point`, `lr_find_finished`, `undone`, `saliency`, `layer_health`) and the global `step` it happened at,
/// so that a run's history,
/// including every intervention, can be read back and charted. Evaluations keep their split, loss,
/// accuracy (a fraction), per-class accuracy and confusion counts, and, when the record includes
/// them, their sample and misclassified predictions with the images' pixels in base64. The journal
/// leaves images out; a remote dashboard needs them.
public struct MetricsRecord: Sendable, Equatable {
    /// Seconds since 1970 when the event was recorded.
    public var time: Double
    /// The global step the event happened at.
    public var step: Int
    /// The event; without `includingImages`, evaluations carry no sample or misclassified images.
    public var event: TrainingEvent
    /// In a run of several ranks, the step at which each rank (in rank order) applied the command
    /// this event reports, such as a pause or a new learning rate; nil otherwise (`rank_steps`).
    public var rankSteps: [Int]?

    public init(
        time: Double, step: Int, event: TrainingEvent, includingImages: Bool = false, rankSteps: [Int]? = nil
    ) {
        self.time = time
        self.step = step
        self.event = includingImages ? event : event.withoutImages
        self.rankSteps = rankSteps
    }

    /// The record's JSON line, without the newline.
    public func jsonLine() -> String {
        LineCoding.line(Line(self))
    }

    /// Parses one line written by `jsonLine()`, keeping the images it has. Throws a `ProtocolError`
    /// for a line over `LineFormat.maximumLineBytes`, one that is not a JSON object, has another
    /// version or an unknown type, misses a field or has one of the wrong type, or holds values no
    /// session sends: negative counts or steps, non-finite times, rates or durations, accuracies
    /// outside [0, 1], a confusion matrix that is not square, labels outside it, or pixels that do
    /// not fill their image's shape. Losses may be infinite or NaN, as a diverging run's are.
    public init(jsonLine: Substring) throws {
        self = try LineCoding.decode(Line.self, from: jsonLine).record
    }
}

extension TrainingEvent {
    /// The journal's `type` for this event.
    public var journalType: String {
        switch self {
        case .started: "started"
        case .initialized: "init_from"
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
        case .bestImproved: "best"
        case .earlyStopped: "early_stop"
        case .imageMarked: "image_marked"
        case .imageUnmarked: "image_unmarked"
        case .learningRateSweepStarted: "lr_find_started"
        case .learningRateProbed: "lr_find_point"
        case .learningRateFound: "lr_find_finished"
        case .undone: "undone"
        case .saliency: "saliency"
        case .layerHealth: "layer_health"
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
        case .bestImproved(let best): best.step
        case .earlyStopped(_, let step): step
        case .learningRateSweepStarted(let sweep): sweep.step
        case .learningRateProbed(let probe): probe.step
        case .learningRateFound(let finding): finding.step
        case .undone(let rewind): rewind.step
        case .saliency(let maps): maps.step
        case .layerHealth(let health): health.step
        case .initialized, .warning, .failed, .imageMarked, .imageUnmarked: nil
        }
    }

    var withoutImages: TrainingEvent {
        switch self {
        case .evaluation(let evaluation):
            return .evaluation(evaluation.withoutImages)
        case .finished(var result):
            result.lastEvaluation = result.lastEvaluation?.withoutImages
            return .finished(result)
        case .saliency(var answer):
            for i in answer.maps.indices { answer.maps[i].values = [] }
            return .saliency(answer)
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

/// The JSON shape of a record: a header (`v`, `type`, `time`, `step`) and the fields of one event,
/// encoded side by side in the same object.
private struct Line: Codable {
    var header: Header
    var event: TrainingEvent

    struct Header: Codable {
        var v = LineFormat.version
        var type: String
        var time: Double
        var step: Int
        var rankSteps: [Int]?

        init(type: String, time: Double, step: Int, rankSteps: [Int]?) {
            self.type = type
            self.time = time
            self.step = step
            self.rankSteps = rankSteps
        }

        /// `v` is read, and checked, before the rest of the line.
        enum CodingKeys: CodingKey { case v, type, time, step, rankSteps }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            time = try container.decode(Double.self, forKey: .time)
            step = try container.decode(Int.self, forKey: .step)
            rankSteps = try container.decodeIfPresent([Int].self, forKey: .rankSteps)
            try LineCoding.finite(time, "time")
            try LineCoding.nonNegative(step, "step")
            for rankStep in rankSteps ?? [] { try LineCoding.nonNegative(rankStep, "a rank's step") }
        }
    }

    init(_ record: MetricsRecord) {
        header = Header(
            type: record.event.journalType, time: record.time, step: record.step, rankSteps: record.rankSteps)
        event = record.event
    }

    var record: MetricsRecord {
        MetricsRecord(
            time: header.time, step: header.step, event: event, includingImages: true, rankSteps: header.rankSteps)
    }

    func encode(to encoder: Encoder) throws {
        try header.encode(to: encoder)
        switch event {
        case .started(let summary): try StartedFields(summary).encode(to: encoder)
        case .initialized(let initialization): try InitializationFields(initialization).encode(to: encoder)
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
        case .bestImproved(let best): try BestFields(best).encode(to: encoder)
        case .earlyStopped(let reason, _): try ReasonFields(reason: reason).encode(to: encoder)
        case .imageMarked(let mark): try mark.encode(to: encoder)
        case .imageUnmarked(let split, let index): try ImageFields(split: split, index: index).encode(to: encoder)
        case .learningRateSweepStarted(let sweep): try SweepFields(sweep).encode(to: encoder)
        case .learningRateProbed(let probe): try ProbeFields(probe).encode(to: encoder)
        case .learningRateFound(let finding): try FindingFields(finding).encode(to: encoder)
        case .undone(let rewind): try RewindFields(rewind).encode(to: encoder)
        case .saliency(let answer): try SaliencyFields(answer).encode(to: encoder)
        case .layerHealth(let health): try LayerHealthFields(health).encode(to: encoder)
        }
    }

    init(from decoder: Decoder) throws {
        header = try Header(from: decoder)
        let step = header.step
        switch header.type {
        case "started": event = .started(try StartedFields(from: decoder).summary(step: step))
        case "init_from": event = .initialized(try InitializationFields(from: decoder).initialization)
        case "step": event = .step(try StepFields(from: decoder).metrics(step: step))
        case "epoch": event = .epochCompleted(try EpochFields(from: decoder).summary(step: step))
        case "evaluation": event = .evaluation(try EvaluationFields(from: decoder).evaluation(step: step))
        case "paused": event = .paused(step: step, reason: try ReasonFields(from: decoder).reason)
        case "resumed": event = .resumed(step: step)
        case "lr_changed":
            let fields = try LearningRateFields(from: decoder)
            try LineCoding.finite(fields.oldLr, "old_lr")
            try LineCoding.finite(fields.lr, "lr")
            event = .learningRateChanged(old: fields.oldLr, new: fields.lr, step: step)
        case "checkpoint_saved": event = .checkpointSaved(path: try PathFields(from: decoder).path, step: step)
        case "warning": event = .warning(try MessageFields(from: decoder).message)
        case "failed": event = .failed(try MessageFields(from: decoder).message)
        case "finished": event = .finished(try FinishedFields(from: decoder).result(step: step))
        case "best": event = .bestImproved(try BestFields(from: decoder).best(step: step))
        case "early_stop":
            guard let reason = try ReasonFields(from: decoder).reason else {
                throw ProtocolError("missing field \"reason\"")
            }
            event = .earlyStopped(reason: reason, step: step)
        case "image_marked": event = .imageMarked(try ImageMark(from: decoder))
        case "image_unmarked":
            let fields = try ImageFields(from: decoder)
            try LineCoding.nonNegative(fields.index, "index")
            event = .imageUnmarked(split: fields.split, index: fields.index)
        case "lr_find_started": event = .learningRateSweepStarted(try SweepFields(from: decoder).sweep(step: step))
        case "lr_find_point": event = .learningRateProbed(try ProbeFields(from: decoder).probe(step: step))
        case "lr_find_finished": event = .learningRateFound(try FindingFields(from: decoder).finding(step: step))
        case "undone": event = .undone(try RewindFields(from: decoder).rewind(step: step))
        case "saliency": event = .saliency(try SaliencyFields(from: decoder).maps(step: step))
        case "layer_health": event = .layerHealth(try LayerHealthFields(from: decoder).health(step: step))
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
    /// Absent from journals written before test shifts existed, and when they are off.
    var testShifts: Bool?
    var kernel: String
    /// Absent from journals written before the dashboard showed the model's table.
    var modelTable: ModelTableFields?
    /// Absent when no file was skipped, and from journals written before image folders.
    var skippedFiles: Int?
    /// Written for runs of more than one rank; absent means one process.
    var worldSize: Int?

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
        testShifts = s.testShifts ? true : nil
        kernel = s.kernel
        modelTable = s.modelTable.map(ModelTableFields.init)
        skippedFiles = s.skippedFileCount == 0 ? nil : s.skippedFileCount
        worldSize = s.worldSize > 1 ? s.worldSize : nil
    }

    func summary(step: Int) throws -> RunSummary {
        let counts = [
            ("parameter_count", parameterCount), ("train_count", trainCount), ("test_count", testCount),
            ("validation_count", validationCount), ("epochs", epochs), ("steps_per_epoch", stepsPerEpoch),
            ("batch_size", batchSize), ("threads", threads), ("skipped_files", skippedFiles ?? 0),
        ]
        for (field, value) in counts { try LineCoding.nonNegative(value, field) }
        try LineCoding.finite(lr, "lr")
        if let worldSize, worldSize < 1 { throw ProtocolError("world_size is \(worldSize); a run has at least 1 rank") }
        return RunSummary(
            runName: runName, runDirectory: runDirectory, datasetName: dataset, modelName: model,
            parameterCount: parameterCount, classNames: classNames,
            imageShape: try LineCoding.shape(imageShape, "image_shape"),
            trainCount: trainCount, testCount: testCount, validationCount: validationCount, epochs: epochs,
            stepsPerEpoch: stepsPerEpoch, batchSize: batchSize, threads: threads, optimizer: optimizer,
            learningRate: lr, testFlips: testFlips ?? false, testShifts: testShifts ?? false, kernel: kernel,
            startStep: step,
            worldSize: worldSize ?? 1, modelTable: try modelTable?.table(), skippedFileCount: skippedFiles ?? 0)
    }
}

private struct ModelTableFields: Codable {
    var rows: [RowFields]
    var parameters, multiplyAdds: Int

    struct RowFields: Codable {
        var depth: Int
        var name, layer: String
        var outputShape: [Int]
        var parameters, multiplyAdds: Int
        var algorithm: String
    }

    init(_ table: ModelTable) {
        rows = table.rows.map {
            RowFields(
                depth: $0.depth, name: $0.name, layer: $0.layer, outputShape: $0.outputShape,
                parameters: $0.parameters, multiplyAdds: $0.multiplyAdds, algorithm: $0.algorithm)
        }
        parameters = table.parameters
        multiplyAdds = table.multiplyAdds
    }

    func table() throws -> ModelTable {
        try LineCoding.nonNegative(parameters, "model_table: parameters")
        try LineCoding.nonNegative(multiplyAdds, "model_table: multiply_adds")
        return ModelTable(
            rows: try rows.map { row in
                for (field, value) in [
                    ("depth", row.depth), ("parameters", row.parameters), ("multiply_adds", row.multiplyAdds),
                ] + row.outputShape.map({ ("output_shape", $0) }) {
                    try LineCoding.nonNegative(value, "model_table: \(row.name): \(field)")
                }
                return ModelTable.Row(
                    depth: row.depth, name: row.name, layer: row.layer, outputShape: row.outputShape,
                    parameters: row.parameters, multiplyAdds: row.multiplyAdds, algorithm: row.algorithm)
            }, parameters: parameters, multiplyAdds: multiplyAdds)
    }
}

private struct InitializationFields: Codable {
    var source: String
    var taken, reinitialized, frozen: [String]

    init(_ i: WeightInitialization) {
        source = i.source
        taken = i.taken
        reinitialized = i.reinitialized
        frozen = i.frozen
    }

    var initialization: WeightInitialization {
        WeightInitialization(source: source, taken: taken, reinitialized: reinitialized, frozen: frozen)
    }
}

private struct StepFields: Codable {
    var epoch, stepInEpoch, stepsPerEpoch: Int
    var loss, accuracy: Float
    var lr, imagesPerSecond, elapsed: Double
    /// Present only for runs of more than one rank.
    var communicationSeconds: Double?

    init(_ m: StepMetrics) {
        epoch = m.epoch
        stepInEpoch = m.stepInEpoch
        stepsPerEpoch = m.stepsPerEpoch
        loss = m.smoothedLoss
        accuracy = m.smoothedAccuracy
        lr = m.learningRate
        imagesPerSecond = m.imagesPerSecond
        elapsed = m.elapsed
        communicationSeconds = m.communicationSeconds
    }

    func metrics(step: Int) throws -> StepMetrics {
        try LineCoding.nonNegative(epoch, "epoch")
        try LineCoding.nonNegative(stepInEpoch, "step_in_epoch")
        try LineCoding.nonNegative(stepsPerEpoch, "steps_per_epoch")
        try LineCoding.fraction(accuracy, "accuracy")
        try LineCoding.finite(lr, "lr")
        try LineCoding.finiteNonNegative(imagesPerSecond, "images_per_second")
        try LineCoding.finiteNonNegative(elapsed, "elapsed")
        if let communicationSeconds { try LineCoding.finiteNonNegative(communicationSeconds, "communication_seconds") }
        return StepMetrics(
            epoch: epoch, step: step, stepInEpoch: stepInEpoch, stepsPerEpoch: stepsPerEpoch,
            smoothedLoss: loss, smoothedAccuracy: accuracy, learningRate: lr,
            imagesPerSecond: imagesPerSecond, elapsed: elapsed, communicationSeconds: communicationSeconds)
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

    func summary(step: Int) throws -> EpochSummary {
        try LineCoding.nonNegative(epoch, "epoch")
        try LineCoding.fraction(accuracy, "accuracy")
        try LineCoding.finiteNonNegative(seconds, "seconds")
        return EpochSummary(epoch: epoch, step: step, loss: loss, accuracy: accuracy, seconds: seconds)
    }
}

private struct EvaluationFields: Codable {
    var split: Split
    var epoch: Int
    var loss, accuracy: Float
    /// Written for readers of the file; a reader recomputes it from `confusion`.
    var perClassAccuracy: [Float]
    var confusion: [[Int]]
    /// Present only when the record includes images.
    var samples, misclassified: [PredictionFields]?

    init(_ e: Evaluation) {
        split = e.split
        epoch = e.epoch
        loss = e.loss
        accuracy = e.accuracy
        perClassAccuracy = e.perClassAccuracy
        confusion = e.confusion.counts
        samples = e.samples.isEmpty ? nil : e.samples.map(PredictionFields.init)
        misclassified = e.misclassified.isEmpty ? nil : e.misclassified.map(PredictionFields.init)
    }

    func evaluation(step: Int) throws -> Evaluation {
        try LineCoding.nonNegative(epoch, "epoch")
        try LineCoding.fraction(accuracy, "accuracy")
        let classes = confusion.count
        var total = 0
        for row in confusion {
            guard row.count == classes else {
                throw ProtocolError("confusion has a row of \(row.count) counts in a matrix of \(classes) classes")
            }
            for count in row {
                try LineCoding.nonNegative(count, "a confusion count")
                let (sum, overflow) = total.addingReportingOverflow(count)
                guard !overflow else { throw ProtocolError("confusion counts more images than an Int holds") }
                total = sum
            }
        }
        return Evaluation(
            split: split, epoch: epoch, step: step, loss: loss, accuracy: accuracy,
            confusion: ConfusionMatrix(counts: confusion),
            samples: try (samples ?? []).map { try $0.prediction(classes: classes, "samples") },
            misclassified: try (misclassified ?? []).map { try $0.prediction(classes: classes, "misclassified") })
    }
}

/// One evaluated image: the model's answer and the image, its CHW pixels in base64, and its file
/// when the dataset has files.
private struct PredictionFields: Codable {
    var index, trueLabel, predictedLabel: Int
    var top: [ProbabilityFields]
    var loss: Float
    var shape: [Int]
    var pixels: String
    /// Absent for datasets without file names, and from lines written before image folders.
    var fileName: String?

    struct ProbabilityFields: Codable {
        var label: Int
        var probability: Float
    }

    init(_ p: Prediction) {
        index = p.index
        trueLabel = p.trueLabel
        predictedLabel = p.predictedLabel
        top = p.top.map { ProbabilityFields(label: $0.label, probability: $0.probability) }
        loss = p.loss
        shape = [p.image.shape.channels, p.image.shape.height, p.image.shape.width]
        pixels = Data(p.image.pixels).base64EncodedString()
        fileName = p.fileName
    }

    /// The prediction, checked against an evaluation of `classes` classes; `list` names where it is.
    func prediction(classes: Int, _ list: String) throws -> Prediction {
        try LineCoding.nonNegative(index, "\(list): index")
        for (field, label) in [("true_label", trueLabel), ("predicted_label", predictedLabel)]
            + top.map({ ("top", $0.label) })
        {
            guard label >= 0 && label < classes else {
                throw ProtocolError("\(list): \(field) \(label) is not one of the \(classes) classes")
            }
        }
        for probability in top.map(\.probability) where !probability.isNaN {
            try LineCoding.fraction(probability, "\(list): probability")
        }
        let imageShape = try LineCoding.shape(shape, "\(list): shape")
        guard let bytes = Data(base64Encoded: pixels) else { throw ProtocolError("\(list): pixels are not base64") }
        guard bytes.count == imageShape.valueCount else {
            throw ProtocolError("\(list): \(bytes.count) pixels for an image of \(imageShape)")
        }
        if fileName?.isEmpty == true { throw ProtocolError("\(list): file_name is empty") }
        return Prediction(
            index: index, trueLabel: trueLabel, predictedLabel: predictedLabel,
            top: top.map { ClassProbability(label: $0.label, probability: $0.probability) }, loss: loss,
            image: SampleImage(shape: imageShape, pixels: [UInt8](bytes)), fileName: fileName)
    }
}

private struct SweepFields: Codable {
    var steps: Int
    var startLr, endLr: Double

    init(_ s: LearningRateSweep) {
        steps = s.steps
        startLr = s.startRate
        endLr = s.endRate
    }

    func sweep(step: Int) throws -> LearningRateSweep {
        try LineCoding.nonNegative(steps, "steps")
        try LineCoding.positive(startLr, "start_lr")
        try LineCoding.positive(endLr, "end_lr")
        return LearningRateSweep(step: step, steps: steps, startRate: startLr, endRate: endLr)
    }
}

private struct ProbeFields: Codable {
    var index: Int
    var lr: Double
    var loss, smoothedLoss: Float

    init(_ p: LearningRateProbe) {
        index = p.index
        lr = p.learningRate
        loss = p.loss
        smoothedLoss = p.smoothedLoss
    }

    func probe(step: Int) throws -> LearningRateProbe {
        try LineCoding.nonNegative(index, "index")
        try LineCoding.positive(lr, "lr")
        return LearningRateProbe(step: step, index: index, learningRate: lr, loss: loss, smoothedLoss: smoothedLoss)
    }
}

private struct FindingFields: Codable {
    var probes: Int
    var diverged: Bool
    var suggestion, steepest: Double?

    init(_ f: LearningRateFinding) {
        probes = f.probes
        diverged = f.diverged
        suggestion = f.suggestion
        steepest = f.steepest
    }

    func finding(step: Int) throws -> LearningRateFinding {
        try LineCoding.nonNegative(probes, "probes")
        if let suggestion { try LineCoding.positive(suggestion, "suggestion") }
        if let steepest { try LineCoding.positive(steepest, "steepest") }
        return LearningRateFinding(
            step: step, probes: probes, diverged: diverged, suggestion: suggestion, steepest: steepest)
    }
}

private struct RewindFields: Codable {
    var fromStep: Int
    var intervention: String
    var lr: Double
    var remaining: Int

    init(_ r: Rewind) {
        fromStep = r.fromStep
        intervention = r.intervention
        lr = r.learningRate
        remaining = r.remaining
    }

    func rewind(step: Int) throws -> Rewind {
        try LineCoding.nonNegative(fromStep, "from_step")
        try LineCoding.nonNegative(remaining, "remaining")
        try LineCoding.positive(lr, "lr")
        guard fromStep >= step else {
            throw ProtocolError("from_step \(fromStep) is before the step undone to, \(step)")
        }
        return Rewind(
            step: step, fromStep: fromStep, intervention: intervention, learningRate: lr, remaining: remaining)
    }
}

private struct ReasonFields: Codable { var reason: String? }
private struct LearningRateFields: Codable { var oldLr, lr: Double }
private struct PathFields: Codable { var path: String }
private struct MessageFields: Codable { var message: String }
private struct ImageFields: Codable {
    var split: Split
    var index: Int
}

private struct BestFields: Codable {
    var monitor: MonitoredFigure
    var value: Double
    var epoch: Int

    init(_ b: BestEvaluation) {
        monitor = b.figure
        value = b.value
        epoch = b.epoch
    }

    func best(step: Int) throws -> BestEvaluation {
        try LineCoding.finite(value, "value")
        try LineCoding.nonNegative(epoch, "epoch")
        return BestEvaluation(figure: monitor, value: value, epoch: epoch, step: step)
    }
}

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

    func result(step: Int) throws -> FinalResult {
        try LineCoding.nonNegative(epoch, "epoch")
        try LineCoding.finiteNonNegative(seconds, "seconds")
        let evaluation = try lastEvaluation.map { last in
            try LineCoding.nonNegative(last.step, "last_evaluation.step")
            return try last.fields.evaluation(step: last.step)
        }
        return FinalResult(
            step: step, epoch: epoch, seconds: seconds, lastEvaluation: evaluation,
            checkpointPath: checkpoint)
    }
}

/// Saliency maps, each map's values in base64 (absent in the journal).
private struct SaliencyFields: Codable {
    var split: Split
    var target: SaliencyTarget
    var method: String
    var maps: [MapFields]

    struct MapFields: Codable {
        var index, label, predictedLabel: Int
        var shape: [Int]
        var values: String?
    }

    init(_ answer: SaliencyMaps) {
        split = answer.split
        target = answer.target
        method = answer.method
        maps = answer.maps.map {
            MapFields(
                index: $0.index, label: $0.label, predictedLabel: $0.predictedLabel, shape: [$0.height, $0.width],
                values: $0.values.isEmpty ? nil : Data($0.values).base64EncodedString())
        }
    }

    func maps(step: Int) throws -> SaliencyMaps {
        let decoded = try maps.map { map in
            try LineCoding.nonNegative(map.index, "maps: index")
            try LineCoding.nonNegative(map.label, "maps: label")
            try LineCoding.nonNegative(map.predictedLabel, "maps: predicted_label")
            let size = try LineCoding.shape([1] + map.shape, "maps: shape")
            var values: [UInt8] = []
            if let text = map.values {
                guard let bytes = Data(base64Encoded: text) else { throw ProtocolError("maps: values are not base64") }
                guard bytes.count == size.valueCount else {
                    throw ProtocolError("maps: \(bytes.count) values for a map of \(size.height)x\(size.width)")
                }
                values = [UInt8](bytes)
            }
            return SaliencyMap(
                index: map.index, label: map.label, predictedLabel: map.predictedLabel, height: size.height,
                width: size.width, values: values)
        }
        return SaliencyMaps(split: split, step: step, target: target, method: method, maps: decoded)
    }
}

/// Layer statistics; norms are non-negative and may be infinite or NaN, as an exploding layer's are.
private struct LayerHealthFields: Codable {
    var layers: [LayerFields]
    var activations: [ActivationFields]

    struct LayerFields: Codable {
        var name: String
        var weightNorm, gradientNorm, updateRatio: Double
    }

    struct ActivationFields: Codable {
        var name: String
        var deadFraction: Float
    }

    init(_ health: LayerHealth) {
        layers = health.layers.map {
            LayerFields(
                name: $0.name, weightNorm: $0.weightNorm, gradientNorm: $0.gradientNorm, updateRatio: $0.updateRatio)
        }
        activations = health.activations.map { ActivationFields(name: $0.name, deadFraction: $0.deadFraction) }
    }

    func health(step: Int) throws -> LayerHealth {
        for layer in layers {
            for (field, value) in [
                ("weight_norm", layer.weightNorm), ("gradient_norm", layer.gradientNorm),
                ("update_ratio", layer.updateRatio),
            ] where value < 0 {
                throw ProtocolError("layers: \(layer.name): \(field) is negative (\(value))")
            }
        }
        for activation in activations { try LineCoding.fraction(activation.deadFraction, "activations: dead_fraction") }
        return LayerHealth(
            step: step,
            layers: layers.map {
                LayerStatistics(
                    name: $0.name, weightNorm: $0.weightNorm, gradientNorm: $0.gradientNorm,
                    updateRatio: $0.updateRatio)
            },
            activations: activations.map { ActivationStatistics(name: $0.name, deadFraction: $0.deadFraction) })
    }
}
