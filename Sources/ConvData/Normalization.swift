/// Per-channel normalisation applied when bytes become floats: `(pixel / 255 - mean) / std`.
public struct Normalization: Sendable, Equatable {
    public var mean: [Float]
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(mean.count == standardDeviation.count, "one mean and one deviation per channel")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Normalises with measured statistics (the default: the training images' own).
    public init(_ statistics: ChannelStatistics) {
        self.init(mean: statistics.mean, standardDeviation: statistics.standardDeviation.map { max($0, 1e-6) })
    }

    /// Parses `--normalize`: `MEAN,STD` for every channel (`0.5,0.5`), or all means then all
    /// deviations (`0.49,0.48,0.45,0.25,0.24,0.26` for three channels).
    public init(parsing text: String, channels: Int) throws {
        let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        let invalid = DataError.invalidOption(
            "--normalize \(text): expected MEAN,STD or \(channels) means then \(channels) deviations, deviations > 0")
        guard values.allSatisfy({ $0 != nil }) else { throw invalid }
        let numbers = values.compactMap { $0 }
        switch numbers.count {
        case 2:
            self.init(
                mean: Array(repeating: numbers[0], count: channels),
                standardDeviation: Array(repeating: numbers[1], count: channels))
        case 2 * channels:
            self.init(mean: Array(numbers[..<channels]), standardDeviation: Array(numbers[channels...]))
        default:
            throw invalid
        }
        guard standardDeviation.allSatisfy({ $0 > 0 }) else { throw invalid }
    }

    /// The float for each of the 256 byte values of `channel`.
    func table(channel: Int) -> [Float] {
        (0..<256).map { (Float($0) / 255 - mean[channel]) / standardDeviation[channel] }
    }
}
