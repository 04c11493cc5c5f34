import Foundation

/// One bar per class: name, accuracy as an eighth-block bar, value, and the change since the
/// previous evaluation.
public struct ClassAccuracyBars: Widget {
    public var names: [String]
    public var accuracy: [Float]
    /// Accuracy at the previous evaluation, for the change column.
    public var previous: [Float]?
    public var theme: Theme

    public init(names: [String], accuracy: [Float], previous: [Float]?, theme: Theme) {
        self.names = names
        self.accuracy = accuracy
        self.previous = previous
        self.theme = theme
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let nameWidth = min(12, names.map(\.count).max() ?? 0)
        let valueWidth = 6, changeWidth = 6
        let barWidth = area.width - nameWidth - valueWidth - changeWidth - 3
        guard barWidth >= 4 else { return }
        for (i, value) in accuracy.enumerated().prefix(area.height) {
            let y = area.y + i
            let name = i < names.count ? names[i] : "#\(i)"
            buffer.setString(
                x: area.x, y: y, Format.padRight(Format.truncate(name, nameWidth), nameWidth),
                style: theme[.label])
            let barX = area.x + nameWidth + 1
            BlockBar(fraction: Double(value), style: theme[.bar], trackStyle: theme[.barTrack])
                .render(area: Rect(x: barX, y: y, width: barWidth, height: 1), buffer: &buffer)
            let valueX = barX + barWidth + 1
            buffer.setString(
                x: valueX, y: y, Format.padLeft(Format.percent(Double(value)), valueWidth),
                style: theme[.text])
            guard let previous, i < previous.count else { continue }
            let change = Double(value - previous[i]) * 100
            let text = String(format: "%+.1f", change)
            let role: Role = change > 0.05 ? .increase : change < -0.05 ? .decrease : .dim
            buffer.setString(
                x: valueX + valueWidth + 1, y: y, Format.padLeft(text, changeWidth - 1), style: theme[role])
        }
    }
}
