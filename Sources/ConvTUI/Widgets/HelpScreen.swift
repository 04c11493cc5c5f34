import ConvProtocol

/// Every key binding, grouped by screen, rendered from the key table; in two columns when one
/// column would not fit the height.
public struct HelpScreen: Widget {
    public var theme: Theme

    public init(theme: Theme) { self.theme = theme }

    // The session multiplies every later scheduled rate by new ÷ current (TrainingWorker's
    // learning-rate scale), so the schedule's shape survives a change.
    static let notes = [
        "+ - L scale the rest of the schedule by (new rate ÷ current rate): it keeps",
        "its shape, so one-cycle still rises and anneals, only higher or lower.",
        "L prompt: enter sets the rate, esc cancels; only a positive number is taken.",
        "q asks to confirm with y; the run saves a checkpoint, then convtop exits.",
        "r tests rates on a snapshot of the paused run; whatever you choose, the run",
        "continues from it bit for bit. u undoes up to \(UndoLimit.description).",
    ]

    private var sections: [(title: String, bindings: [KeyBinding])] {
        [Screen.main, .misclassified, .confusion, .modelSummary, .rangeTest].map { screen in
            (screen.title, KeyTable.bindings.filter { $0.screen == screen })
        }
    }

    public func render(area: Rect, buffer: inout Buffer) {
        buffer.setString(x: area.x, y: area.y, "convtop keys", style: theme[.title], maxWidth: area.width)
        let body = Rect(x: area.x, y: area.y + 2, width: area.width, height: area.height - 2)
        let rows = sections.map { $0.bindings.count + 2 }.reduce(0, +) + Self.notes.count
        let columns: [[(title: String, bindings: [KeyBinding])]] =
            rows > body.height
            ? [Array(sections.prefix(1)), Array(sections.dropFirst())] : [sections]
        let parts = body.split(.horizontal, Array(repeating: .fill(1), count: columns.count), spacing: 2)
        var bottom = body.y
        for (column, part) in zip(columns, parts) {
            bottom = max(bottom, renderSections(column, in: part, buffer: &buffer))
        }
        for (i, note) in Self.notes.enumerated() where bottom + i < body.bottom {
            buffer.setString(x: body.x, y: bottom + i, note, style: theme[.dim], maxWidth: body.width)
        }
    }

    /// Draws the sections top to bottom and returns the row after the last one.
    private func renderSections(
        _ sections: [(title: String, bindings: [KeyBinding])], in area: Rect,
        buffer: inout Buffer
    ) -> Int {
        let keyWidth = KeyTable.bindings.map(\.label.count).max() ?? 0
        var y = area.y
        for section in sections {
            guard y < area.bottom else { break }
            buffer.setString(x: area.x, y: y, section.title, style: theme[.label], maxWidth: area.width)
            y += 1
            for binding in section.bindings where y < area.bottom {
                buffer.setString(x: area.x + 2, y: y, Format.padRight(binding.label, keyWidth), style: theme[.key])
                buffer.setString(
                    x: area.x + 3 + keyWidth, y: y, binding.description, style: theme[.text],
                    maxWidth: area.width - 3 - keyWidth)
                y += 1
            }
            y += 1
        }
        return y
    }
}
