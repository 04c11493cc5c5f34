import ConvProtocol

/// fastai's `most_confused` beside the confusion matrix: the off-diagonal cells, most images first,
/// as `true → predicted  count`. The entry under the matrix cursor is highlighted; `n` moves the
/// cursor along the list and enter browses the entry's images.
public struct MostConfusedList: Widget {
    public var entries: [ConfusionMatrix.Confusion]
    public var classNames: [String]
    public var cursor: MatrixPosition
    public var theme: Theme

    /// The fewest columns the list is drawn in beside the matrix.
    public static let narrowestWidth = 26
    /// The most columns it takes.
    public static let widestWidth = 40

    public init(entries: [ConfusionMatrix.Confusion], classNames: [String], cursor: MatrixPosition, theme: Theme) {
        self.entries = entries
        self.classNames = classNames
        self.cursor = cursor
        self.theme = theme
    }

    private func name(_ i: Int) -> String { i >= 0 && i < classNames.count ? classNames[i] : "#\(i)" }

    public func render(area: Rect, buffer: inout Buffer) {
        guard area.height >= 2, area.width >= 8 else { return }
        let title = entries.isEmpty ? "Most confused: none" : "Most confused (n next, enter browses)"
        buffer.setString(x: area.x, y: area.y, title, style: theme[.title], maxWidth: area.width)
        let countWidth = String(entries.first?.count ?? 0).count
        // Both names share what the arrow and the count leave.
        let nameWidth = max(3, (area.width - countWidth - 5) / 2)
        for (row, entry) in entries.prefix(area.height - 1).enumerated() {
            let text =
                Format.padRight(Format.truncate(name(entry.trueLabel), nameWidth), nameWidth) + " → "
                + Format.padRight(Format.truncate(name(entry.predictedLabel), nameWidth), nameWidth) + " "
                + Format.padLeft(String(entry.count), countWidth)
            let selected = entry.trueLabel == cursor.row && entry.predictedLabel == cursor.column
            buffer.setString(
                x: area.x, y: area.y + 1 + row, text, style: selected ? theme[.selection] : theme[.text],
                maxWidth: area.width)
        }
    }
}
