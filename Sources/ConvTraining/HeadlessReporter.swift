import ConvProtocol
import Foundation

/// Turns training events into plain text lines for a log, CI or `nohup`: a line every
/// `stepsPerLine` steps and one per epoch (epoch, step/total, loss, accuracy, learning rate,
/// images/s, ETA), the evaluation summary with per-class accuracy, interventions and the result.
///
/// Pure: it keeps only what it needs to format the next line, and never touches a terminal.
public struct HeadlessReporter: Sendable {
    /// Print a step line when the step count crosses a multiple of this; `nil` picks about ten
    /// lines per epoch.
    public var stepsPerLine: Int?
    private var summary: RunSummary?
    private var lastPrintedStep = 0
    /// Each layer's condition at the last layer-health sample; a line is printed when one changes.
    private var layerConditions: [String: LayerCondition] = [:]

    public init(stepsPerLine: Int? = nil) {
        self.stepsPerLine = stepsPerLine
    }

    /// The lines to print for `event`, possibly none.
    public mutating func lines(for event: TrainingEvent) -> [String] {
        switch event {
        case .started(let summary):
            self.summary = summary
            lastPrintedStep = summary.startStep
            return Self.startLines(summary)
        case .initialized(let initialization):
            return [initialization.description]
        case .step(let metrics):
            let every = stepInterval(stepsPerEpoch: metrics.stepsPerEpoch)
            guard metrics.step / every > lastPrintedStep / every else { return [] }
            lastPrintedStep = metrics.step
            return [stepLine(metrics)]
        case .epochCompleted(let epoch):
            return [epochLine(epoch)]
        case .evaluation(let evaluation):
            return Self.evaluationLines(evaluation, classNames: summary?.classNames ?? [])
        case .paused(let step, let reason):
            return ["paused at step \(step)" + (reason.map { ": \($0)" } ?? "")]
        case .resumed(let step):
            return ["resumed at step \(step)"]
        case .learningRateChanged(let old, let new, let step):
            return ["learning rate \(Self.rate(old)) -> \(Self.rate(new)) at step \(step)"]
        case .checkpointSaved(let path, let step):
            return ["checkpoint saved at step \(step): \(path)"]
        case .warning(let message):
            return ["warning: \(message)"]
        case .finished(let result):
            return finishedLines(result)
        case .failed(let message):
            return ["error: \(message)"]
        case .bestImproved(let best):
            return [
                "best \(best.figure) \(String(format: "%.6g", best.value)) at epoch \(best.epoch), step \(best.step)"
            ]
        case .earlyStopped(let reason, let step):
            return ["early stop at step \(step): \(reason)"]
        case .imageMarked(let mark):
            return [
                "marked \(mark.split) image \(mark.index)\(mark.file.map { " (\($0))" } ?? "") as \(mark.kind.rawValue)"
            ]
        case .imageUnmarked(let split, let index):
            return ["unmarked \(split) image \(index)"]
        case .learningRateSweepStarted(let sweep):
            return [
                "learning-rate range test at step \(sweep.step): up to \(sweep.steps) batches from "
                    + "\(Self.rate(sweep.startRate)) to \(Self.rate(sweep.endRate))"
            ]
        case .learningRateProbed:
            return []
        case .learningRateFound(let finding):
            return [Self.findingLine(finding)]
        case .undone(let rewind):
            return [
                "undone at step \(rewind.fromStep): back to step \(rewind.step), before \(rewind.intervention); "
                    + "lr \(Self.rate(rewind.learningRate)), \(rewind.remaining) more to undo"
            ]
        case .saliency:
            return []
        case .layerHealth(let health):
            return layerConditionLines(health)
        }
    }

    /// A line for each layer whose condition changed since the previous sample, none at first for
    /// a layer that is learning.
    private mutating func layerConditionLines(_ health: LayerHealth) -> [String] {
        var lines: [String] = []
        for layer in health.layers {
            let condition = layer.condition
            let previous = layerConditions.updateValue(condition, forKey: layer.name) ?? .learning
            guard condition != previous else { continue }
            lines.append(
                "layer \(layer.name) \(condition == .learning ? "is learning again" : condition.rawValue) at step "
                    + "\(health.step): update/weight \(Self.rate(layer.updateRatio)), weight norm "
                    + "\(Self.rate(layer.weightNorm)), gradient norm \(Self.rate(layer.gradientNorm))")
        }
        return lines
    }

    /// The range test's result: how far it went and the rates it suggests.
    public static func findingLine(_ f: LearningRateFinding) -> String {
        "range test: \(f.probes) batches" + (f.diverged ? " (stopped: the loss diverged)" : "") + "; suggested lr "
            + (f.suggestion.map(rate) ?? "none (too few points)") + " (valley)"
            + (f.steepest.map { ", steepest descent \(rate($0))" } ?? "")
            + "; the run is back at step \(f.step)"
    }

    private func stepInterval(stepsPerEpoch: Int) -> Int {
        if let stepsPerLine { return max(1, stepsPerLine) }
        return max(1, stepsPerEpoch / 10)
    }

    private var epochs: Int { summary?.epochs ?? 0 }
    private var totalSteps: Int { (summary?.epochs ?? 0) * (summary?.stepsPerEpoch ?? 0) }

    private func epochColumn(_ epoch: Int) -> String {
        let width = String(epochs).count
        return "epoch \(Self.pad(String(epoch), width))/\(epochs)"
    }

    private func stepColumn(_ step: Int) -> String {
        let total = String(totalSteps)
        return "step \(Self.pad(String(step), total.count))/\(total)"
    }

    private func stepLine(_ m: StepMetrics) -> String {
        let done = m.step - (summary?.startStep ?? 0)
        let remaining = max(0, totalSteps - m.step)
        let eta = done > 0 ? Self.duration(m.elapsed / Double(done) * Double(remaining)) : "?"
        return [
            epochColumn(m.epoch), stepColumn(m.step), "loss \(Self.fixed(m.smoothedLoss, 4))",
            "acc \(Self.percent(m.smoothedAccuracy))", "lr \(Self.rate(m.learningRate))",
            "\(Self.pad(String(Int(m.imagesPerSecond.rounded())), 6)) img/s", "ETA \(eta)",
        ].joined(separator: "  ")
            + (m.communicationSeconds.map { "  allreduce \(Self.fixed(Float($0 * 1000), 1)) ms" } ?? "")
    }

    private func epochLine(_ e: EpochSummary) -> String {
        [
            epochColumn(e.epoch), stepColumn(e.step), "loss \(Self.fixed(e.loss, 4))",
            "acc \(Self.percent(e.accuracy))", "epoch done in \(Self.duration(e.seconds))",
        ].joined(separator: "  ")
    }

    private func finishedLines(_ r: FinalResult) -> [String] {
        var line =
            "finished: \(r.step) steps, \(r.epoch) epoch\(r.epoch == 1 ? "" : "s") in \(Self.duration(r.seconds))"
        if let e = r.lastEvaluation {
            line += "; \(e.split) accuracy \(Self.percent(e.accuracy)), loss \(Self.fixed(e.loss, 4))"
            // A run stopped between evaluations (by hand, or with --eval-every) ends on weights
            // the figure was not measured on.
            if e.step != r.step { line += " (measured at step \(e.step), epoch \(e.epoch))" }
        }
        var lines = [line]
        if let path = r.checkpointPath { lines.append("checkpoint: \(path)") }
        return lines
    }

    static func startLines(_ s: RunSummary) -> [String] {
        let shape = "\(s.imageShape.channels)x\(s.imageShape.height)x\(s.imageShape.width)"
        var data = "\(s.trainCount) train"
        if s.validationCount > 0 { data += ", \(s.validationCount) validation" }
        if s.testCount > 0 { data += ", \(s.testCount) test" }
        return [
            "training \(s.modelName) (\(s.parameterCount) parameters) on \(s.datasetName): \(data) images of "
                + "\(shape), \(s.classNames.count) classes",
            "\(s.epochs) epoch\(s.epochs == 1 ? "" : "s") x \(s.stepsPerEpoch) steps of \(s.batchSize), \(s.optimizer) lr \(rate(s.learningRate)), "
                + Self.testViews(s) + "\(s.threads) thread\(s.threads == 1 ? "" : "s")"
                + (s.worldSize > 1 ? " x \(s.worldSize) ranks" : "") + ", kernel \(s.kernel)"
                + (s.startStep > 0 ? ", resuming at step \(s.startStep)" : ""),
            "run folder: \(s.runDirectory)",
        ]
    }

    /// The start line's test-time augmentation, with its separator: "test flips and shifts, ".
    private static func testViews(_ s: RunSummary) -> String {
        switch (s.testFlips, s.testShifts) {
        case (true, true): "test flips and shifts, "
        case (true, false): "test flips, "
        case (false, true): "test shifts, "
        case (false, false): ""
        }
    }

    /// The evaluation summary: split, loss and accuracy, then per-class accuracy in columns.
    public static func evaluationLines(_ e: Evaluation, classNames: [String]) -> [String] {
        let correct = e.confusion.counts.indices.reduce(0) { $0 + e.confusion.counts[$1][$1] }
        let total = e.confusion.counts.reduce(0) { $0 + $1.reduce(0, +) }
        var lines = [
            "\(e.split) after epoch \(e.epoch): loss \(fixed(e.loss, 4))  accuracy "
                + "\(percent(e.accuracy)) (\(correct)/\(total))"
        ]
        let names = e.confusion.counts.indices.map { $0 < classNames.count ? classNames[$0] : String($0) }
        let width = names.map(\.count).max() ?? 0
        let cells = zip(names, e.perClassAccuracy).map { name, accuracy in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + " " + percent(accuracy)
        }
        let columns = 4
        for start in stride(from: 0, to: cells.count, by: columns) {
            lines.append("  " + cells[start..<min(start + columns, cells.count)].joined(separator: "   "))
        }
        return lines
    }

    /// The confusion matrix as a table: one row per true class, one column per predicted class.
    public static func confusionLines(_ confusion: ConfusionMatrix, classNames: [String]) -> [String] {
        let names = confusion.counts.indices.map { $0 < classNames.count ? classNames[$0] : String($0) }
        let nameWidth = max(names.map(\.count).max() ?? 0, "true \\ predicted".count)
        let cellWidth = max(5, (confusion.counts.flatMap { $0 }.max().map { String($0).count } ?? 1) + 1)
        var lines = [
            "true \\ predicted".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + confusion.counts.indices.map { pad(String($0), cellWidth) }.joined()
        ]
        for (t, row) in confusion.counts.enumerated() {
            let label = "\(t) \(names[t])".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            lines.append(label + row.map { pad(String($0), cellWidth) }.joined())
        }
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    static func fixed(_ value: Float, _ digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", Double(value)) : String(describing: value)
    }

    static func percent(_ fraction: Float) -> String {
        pad(String(format: "%.2f%%", Double(fraction) * 100), 7)
    }

    static func rate(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    /// `42.1s`, `5m12s`, `2h03m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60)
    }
}
