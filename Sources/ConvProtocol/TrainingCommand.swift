/// What a viewer asks of a training session. Commands take effect at the next step boundary.
public enum TrainingCommand: Sendable, Equatable {
    case pause
    case resume
    /// Sets the learning rate to this value.
    case setLearningRate(Double)
    /// Multiplies the learning rate by this factor.
    case scaleLearningRate(Double)
    /// Saves a checkpoint to this path, or to the run's folder when `nil`.
    case save(path: String?)
    case evaluate
    /// Finishes the current step, saves a checkpoint and ends the run.
    case stop
    /// Records a mark on an evaluated image in the run's `marks.csv` (the trainer fills in its file).
    case markImage(ImageMark)
    /// Removes the mark of the image at `index` of `split`.
    case unmarkImage(split: Split, index: Int)
    /// Pauses and runs a learning-rate range test of this many batches (nil: the run's
    /// `--lr-find-steps`), then returns to the state before it, still paused.
    case findLearningRate(steps: Int?)
    /// Returns the run to its state before the last intervention that changed training.
    case undo
    /// Computes saliency maps of evaluation images and sends them as a `saliency` event.
    case explain(SaliencyRequest)
}

extension TrainingCommand {
    /// The line's `type` for this command.
    public var lineType: String {
        switch self {
        case .pause: "pause"
        case .resume: "resume"
        case .setLearningRate: "set_lr"
        case .scaleLearningRate: "scale_lr"
        case .save: "save"
        case .evaluate: "evaluate"
        case .stop: "stop"
        case .markImage: "mark"
        case .unmarkImage: "unmark"
        case .findLearningRate: "lr_find"
        case .undo: "undo"
        case .explain: "saliency"
        }
    }

    /// The command as one line of JSON, without the newline: the format's version `v`, the `type`
    /// and the command's value (`lr`, `factor`, `path`, `steps`, a mark's fields, or a saliency request's `split`,
    /// `indices` and `target`), such as `{"v":1,"type":"scale_lr","factor":2}`.
    public func jsonLine() -> String {
        var fields = CommandFields(type: lineType)
        switch self {
        case .markImage(let mark): return LineCoding.line(MarkCommandLine(fields: fields, mark: mark))
        case .unmarkImage(let split, let index):
            fields.split = split
            fields.index = index
        case .setLearningRate(let rate): fields.lr = rate
        case .scaleLearningRate(let factor): fields.factor = factor
        case .save(let path): fields.path = path
        case .findLearningRate(let steps): fields.steps = steps
        case .explain(let request):
            fields.split = request.split
            fields.indices = request.indices
            fields.target = request.target
        case .pause, .resume, .evaluate, .stop, .undo: break
        }
        return LineCoding.line(fields)
    }

    /// Parses one line written by `jsonLine()`. Throws a `ProtocolError` for a line over
    /// `LineFormat.maximumLineBytes`, one that is not a JSON object, has another version or an
    /// unknown type, or lacks its value; a learning rate or factor must be a positive finite number.
    public init(jsonLine: Substring) throws {
        let fields = try LineCoding.decode(CommandFields.self, from: jsonLine)
        func positive(_ value: Double?, _ field: String) throws -> Double {
            guard let value else { throw ProtocolError("missing field \"\(field)\"") }
            guard value.isFinite && value > 0 else {
                throw ProtocolError("\(field) is \(value), not a positive number")
            }
            return value
        }
        switch fields.type {
        case "pause": self = .pause
        case "resume": self = .resume
        case "set_lr": self = .setLearningRate(try positive(fields.lr, "lr"))
        case "scale_lr": self = .scaleLearningRate(try positive(fields.factor, "factor"))
        case "save": self = .save(path: fields.path)
        case "evaluate": self = .evaluate
        case "stop": self = .stop
        case "mark": self = .markImage(try LineCoding.decode(ImageMark.self, from: jsonLine))
        case "unmark":
            guard let split = fields.split else { throw ProtocolError("missing field \"split\"") }
            guard let index = fields.index else { throw ProtocolError("missing field \"index\"") }
            try LineCoding.nonNegative(index, "index")
            self = .unmarkImage(split: split, index: index)
        case "lr_find":
            if let steps = fields.steps, steps < 2 {
                throw ProtocolError("steps is \(steps); a range test needs at least 2")
            }
            self = .findLearningRate(steps: fields.steps)
        case "undo": self = .undo
        case "saliency": self = .explain(try Self.request(fields))
        default: throw ProtocolError("unknown command type \"\(fields.type)\"")
        }
    }

    /// A saliency request's fields: a split, 1 to `SaliencyRequest.maximumImages` image indices, none
    /// negative, and a target.
    private static func request(_ fields: CommandFields) throws -> SaliencyRequest {
        guard let split = fields.split else { throw ProtocolError("missing field \"split\"") }
        guard let indices = fields.indices else { throw ProtocolError("missing field \"indices\"") }
        guard let target = fields.target else { throw ProtocolError("missing field \"target\"") }
        guard (1...SaliencyRequest.maximumImages).contains(indices.count) else {
            throw ProtocolError(
                "indices has \(indices.count) images, not 1 to \(SaliencyRequest.maximumImages)")
        }
        for index in indices { try LineCoding.nonNegative(index, "an index") }
        return SaliencyRequest(split: split, indices: indices, target: target)
    }
}

/// The JSON shape of a command: every command's fields, each present only for its command.
private struct CommandFields: Codable {
    /// Absent means 1, as for events (`LineCoding.decode` checks it).
    var v: Int? = LineFormat.version
    var type: String
    var lr: Double?
    var factor: Double?
    var path: String?
    var split: Split?
    var index: Int?
    var steps: Int?
    var indices: [Int]?
    var target: SaliencyTarget?

    init(type: String) {
        self.type = type
    }
}

/// A mark command's line: the command's header and the mark's fields side by side.
private struct MarkCommandLine: Encodable {
    var fields: CommandFields
    var mark: ImageMark

    func encode(to encoder: Encoder) throws {
        try fields.encode(to: encoder)
        try mark.encode(to: encoder)
    }
}
