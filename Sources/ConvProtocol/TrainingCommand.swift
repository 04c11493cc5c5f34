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
        case .explain: "saliency"
        }
    }

    /// The command as one line of JSON, without the newline: the format's version `v`, the `type`
    /// and the command's value (`lr`, `factor`, `path`, or a saliency request's `split`, `indices` and `target`), such as `{"v":1,"type":"scale_lr","factor":2}`.
    public func jsonLine() -> String {
        var fields = CommandFields(type: lineType)
        switch self {
        case .setLearningRate(let rate): fields.lr = rate
        case .scaleLearningRate(let factor): fields.factor = factor
        case .save(let path): fields.path = path
        case .explain(let request):
            fields.split = request.split
            fields.indices = request.indices
            fields.target = request.target
        case .pause, .resume, .evaluate, .stop: break
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
    var indices: [Int]?
    var target: SaliencyTarget?

    init(type: String) {
        self.type = type
    }
}
