import ConvProtocol
import Foundation

/// The learning-rate range test: the smoothed loss against the learning rate on a log axis, drawn
/// as the sweep streams in, with the suggested rate, the steepest descent and the run's current
/// rate marked on the axis, and a line saying what was found.
public struct RangeTestView: Widget {
    public var test: RunModel.RangeTest?
    /// The run's learning rate now, marked for comparison.
    public var learningRate: Double?
    public var theme: Theme

    public init(test: RunModel.RangeTest?, learningRate: Double?, theme: Theme) {
        self.test = test
        self.learningRate = learningRate
        self.theme = theme
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard let test else {
            buffer.setString(
                x: area.x, y: area.y, "Learning-rate range test: starting…", style: theme[.title], maxWidth: area.width)
            return
        }
        let chartArea = Rect(x: area.x, y: area.y, width: area.width, height: max(0, area.height - 2))
        let points = test.probes.map { ChartPoint(x: log10($0.learningRate), y: Double($0.smoothedLoss)) }
        var markers: [LineChart.Marker] = []
        if let suggestion = test.finding?.suggestion {
            markers.append(
                LineChart.Marker(
                    x: log10(suggestion), symbol: "▼", name: "suggested", style: theme[.learningRateMarker]))
        }
        if let steepest = test.finding?.steepest {
            markers.append(
                LineChart.Marker(x: log10(steepest), symbol: "◆", name: "steepest", style: theme[.pauseMarker]))
        }
        if let learningRate, learningRate > 0 {
            markers.append(LineChart.Marker(x: log10(learningRate), symbol: "●", name: "now", style: theme[.key]))
        }
        LineChart(
            title: title(test), datasets: [LineChart.Dataset(name: "loss", points: points, style: theme[.trainLoss])],
            markers: markers, yBounds: Self.lossBounds(points), xUnit: "lr", xWholeNumbers: true,
            xLabel: { Self.powerOfTen($0) }, theme: theme
        ).render(area: chartArea, buffer: &buffer)
        buffer.setString(
            x: area.x, y: area.bottom - 1, summary(test), style: theme[test.finding == nil ? .dim : .text],
            maxWidth: area.width)
    }

    private func title(_ test: RunModel.RangeTest) -> String {
        let progress =
            test.finding.map { "\($0.probes) batches" + ($0.diverged ? ", diverged" : "") }
            ?? "\(test.probes.count)/\(test.sweep.steps)"
        return "LR range test, step \(test.sweep.step) (\(progress))"
    }

    /// From the lowest smoothed loss to four times it, where the sweep stops: the diverging tail
    /// leaves the chart at its top instead of flattening the valley that matters.
    static func lossBounds(_ points: [ChartPoint]) -> ClosedRange<Double>? {
        let losses = points.map(\.y).filter(\.isFinite)
        guard let lowest = losses.min(), let highest = losses.max(), highest > lowest else { return nil }
        let top = min(highest, lowest * 4)
        let pad = (top - lowest) * 0.05
        return (lowest - pad)...(top + pad)
    }

    private func summary(_ test: RunModel.RangeTest) -> String {
        guard let finding = test.finding else {
            let last = test.probes.last.map { ": lr \(Format.learningRate($0.learningRate))" } ?? ""
            return "sweeping on a snapshot of the run\(last)…"
        }
        return "suggested "
            + (finding.suggestion.map(Format.learningRate) ?? "none (too few points)") + " (fastai valley)"
            + (finding.steepest.map { " · steepest descent \(Format.learningRate($0))" } ?? "")
            + (learningRate.map { " · now \(Format.learningRate($0))" } ?? "")
    }

    /// "1e-3" for -3: the label of a whole-number tick of log10(rate).
    static func powerOfTen(_ exponent: Double) -> String {
        exponent == 0 ? "1" : "1e\(Int(exponent.rounded()))"
    }
}
