/// The evaluation figure a run watches to keep its best model and to stop early (`--monitor`).
/// The raw value is how the command line and the journal spell it.
public enum MonitoredFigure: String, Sendable, Equatable, Codable, CaseIterable, CustomStringConvertible {
    case validationLoss = "val_loss"
    case validationAccuracy = "val_accuracy"
    case testLoss = "test_loss"
    case testAccuracy = "test_accuracy"

    /// The split whose evaluations it reads.
    public var split: Split {
        switch self {
        case .validationLoss, .validationAccuracy: .validation
        case .testLoss, .testAccuracy: .test
        }
    }

    /// Lower is better for a loss, higher for an accuracy.
    public var lowerIsBetter: Bool { self == .validationLoss || self == .testLoss }

    /// The figure's value in `evaluation`.
    public func value(in evaluation: Evaluation) -> Double {
        Double(lowerIsBetter ? evaluation.loss : evaluation.accuracy)
    }

    /// Whether `value` beats `best` by more than `minimumChange` (Keras's `min_delta`): a loss must
    /// fall below `best - minimumChange`, an accuracy rise above `best + minimumChange`. A value
    /// that is not finite never improves; any finite value improves on no value at all.
    public func improves(_ value: Double, on best: Double?, minimumChange: Double) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        return lowerIsBetter ? value < best - minimumChange : value > best + minimumChange
    }

    public var description: String { rawValue }
}

/// The best value a monitored figure has reached in a run, and where.
public struct BestEvaluation: Sendable, Equatable {
    public var figure: MonitoredFigure
    public var value: Double
    /// The evaluation's epoch, as `Evaluation.epoch` counts it.
    public var epoch: Int
    public var step: Int

    public init(figure: MonitoredFigure, value: Double, epoch: Int, step: Int) {
        self.figure = figure
        self.value = value
        self.epoch = epoch
        self.step = step
    }
}
