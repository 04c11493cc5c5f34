/// A command as bytes, for rank 0 to broadcast to the other ranks of a data-parallel run:
/// one kind byte, then the learning rate's 8 bytes or a checkpoint path's UTF-8.
extension TrainingCommand {
    var bytes: [UInt8] {
        switch self {
        case .pause: [0]
        case .resume: [1]
        case .setLearningRate(let rate): [2] + Self.bytes(of: rate)
        case .scaleLearningRate(let factor): [3] + Self.bytes(of: factor)
        case .save(nil): [4]
        case .save(let path?): [5] + Array(path.utf8)
        case .evaluate: [6]
        case .stop: [7]
        }
    }

    init?(bytes: [UInt8]) {
        guard let kind = bytes.first else { return nil }
        let rest = bytes.dropFirst()
        switch kind {
        case 0: self = .pause
        case 1: self = .resume
        case 2, 3:
            guard rest.count == 8 else { return nil }
            let value = Double(bitPattern: rest.reduce(0) { $0 << 8 | UInt64($1) })
            self = kind == 2 ? .setLearningRate(value) : .scaleLearningRate(value)
        case 4: self = .save(path: nil)
        case 5: self = .save(path: String(decoding: rest, as: UTF8.self))
        case 6: self = .evaluate
        case 7: self = .stop
        default: return nil
        }
    }

    private static func bytes(of value: Double) -> [UInt8] {
        let bits = value.bitPattern
        return (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * $0)) }
    }
}
