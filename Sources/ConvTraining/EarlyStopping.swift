import ConvData
import ConvProtocol
import Foundation

/// Watches one evaluation figure (`--monitor`): says when it reaches a new best, so that the worker
/// keeps that model as `best.safetensors`, and, with a patience, when the run should stop because
/// the figure has not improved at the end of that many epochs in a row (`--patience`).
///
/// An improvement must beat the best by more than `minimumChange` (`--min-delta`, Keras's
/// `min_delta`); a figure that is not finite never improves. Every evaluation of the monitored split
/// can set a new best, but only the evaluations at the end of an epoch count towards the patience,
/// so that pressing `e` does not bring the stop nearer.
struct EarlyStopping: Sendable, Equatable {
    let figure: MonitoredFigure
    /// End-of-epoch evaluations without improvement that stop the run; nil never stops.
    let patience: Int?
    let minimumChange: Double
    /// Epochs between end-of-epoch evaluations (`--eval-every`), for the stop's reason.
    let evaluationInterval: Int
    private(set) var best: BestEvaluation?
    /// End-of-epoch evaluations since the last improvement.
    private(set) var epochsWithoutImprovement = 0

    /// What an evaluation meant.
    enum Outcome: Sendable, Equatable {
        case improved(BestEvaluation)
        case unchanged
        case stop(reason: String)
    }

    init(figure: MonitoredFigure, patience: Int?, minimumChange: Double, evaluationInterval: Int = 1) {
        self.figure = figure
        self.patience = patience
        self.minimumChange = minimumChange
        self.evaluationInterval = evaluationInterval
    }

    /// The early stopping `configuration` asks for on `dataset`, or nil when it gives neither a
    /// patience nor a figure to monitor. Without `--monitor` it watches the validation loss, or the
    /// test loss when there is no validation split. Throws when the figure's split has no images.
    static func forRun(_ configuration: TrainingConfiguration, dataset: Dataset) throws -> EarlyStopping? {
        guard configuration.patience != nil || configuration.monitor != nil else { return nil }
        let figure = configuration.monitor ?? (dataset.validation.count > 0 ? .validationLoss : .testLoss)
        guard dataset.images(in: figure.split).count > 0 else {
            throw TrainingError(
                description: "--monitor \(figure): \(dataset.folder) has no \(figure.split) images"
                    + (figure.split == .validation ? " (hold some out with --val-split)" : ""))
        }
        return EarlyStopping(
            figure: figure, patience: configuration.patience, minimumChange: configuration.minDelta ?? 0,
            evaluationInterval: configuration.evaluateEvery ?? 1)
    }

    /// Takes `evaluation` into account; nil when it is not of the monitored split.
    mutating func observe(_ evaluation: Evaluation, atEpochEnd: Bool) -> Outcome? {
        guard evaluation.split == figure.split else { return nil }
        let value = figure.value(in: evaluation)
        if figure.improves(value, on: best?.value, minimumChange: minimumChange) {
            let new = BestEvaluation(figure: figure, value: value, epoch: evaluation.epoch, step: evaluation.step)
            best = new
            if atEpochEnd { epochsWithoutImprovement = 0 }
            return .improved(new)
        }
        guard atEpochEnd else { return .unchanged }
        epochsWithoutImprovement += 1
        guard let patience, epochsWithoutImprovement >= patience else { return .unchanged }
        let bestText = best.map { "its best, \(Self.format($0.value)) at epoch \($0.epoch)" } ?? "a finite value"
        let count = epochsWithoutImprovement
        let span =
            evaluationInterval == 1
            ? "\(count) epoch\(count == 1 ? "" : "s")"
            : "\(count) evaluation\(count == 1 ? "" : "s"), one every \(evaluationInterval) epochs"
        return .stop(
            reason: "\(figure) has not improved on \(bestText) (by more than \(Self.format(minimumChange))) "
                + "for \(span) (--patience \(patience))")
    }

    private static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    // MARK: Saved with the run

    var state: EarlyStoppingState? {
        best.map {
            EarlyStoppingState(
                monitor: $0.figure, value: $0.value, epoch: $0.epoch, step: $0.step,
                epochsWithoutImprovement: epochsWithoutImprovement)
        }
    }

    /// Continues from a checkpoint's state, when it watched the same figure.
    mutating func restore(_ state: EarlyStoppingState) {
        guard state.monitor == figure, state.value.isFinite else { return }
        best = BestEvaluation(figure: figure, value: state.value, epoch: state.epoch, step: state.step)
        epochsWithoutImprovement = state.epochsWithoutImprovement
    }
}

/// What a checkpoint keeps of a run's early stopping, so that a resumed run neither forgets its
/// best (and overwrites `best.safetensors` with a worse model) nor restarts its patience.
public struct EarlyStoppingState: Sendable, Codable, Equatable {
    public var monitor: MonitoredFigure
    public var value: Double
    public var epoch: Int
    public var step: Int
    public var epochsWithoutImprovement: Int
}
