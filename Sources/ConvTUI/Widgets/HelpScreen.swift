import ConvProtocol

/// Every key binding, grouped by screen, rendered from the key table; in two columns when one
/// column would not fit the height, and scrolled by `scroll` rows when two do not either.
public struct HelpScreen: Widget {
    public var theme: Theme
    /// The first row of the keys and notes shown; clamped to the last screenful.
    public var scroll: Int

    public init(theme: Theme, scroll: Int = 0) {
        self.theme = theme
        self.scroll = scroll
    }

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

    private static var sections: [(title: String, bindings: [KeyBinding])] {
        [Screen.main, .help, .misclassified, .confusion, .modelSummary, .rangeTest].map { screen in
            (screen.title, KeyTable.bindings.filter { $0.screen == screen })
        }
        .filter { !$0.bindings.isEmpty }
    }

    /// How the help fits `area`: the rows below the title that show it, its sections in one
    /// column or two, the page's height and how many of its rows show at once.
    private struct Layout {
        var visible: Rect
        var columns: [[(title: String, bindings: [KeyBinding])]]
        var pageHeight: Int
        var shown: Int

        init(area: Rect) {
            visible = Rect(x: area.x, y: area.y + 2, width: area.width, height: max(0, area.height - 2))
            let sections = HelpScreen.sections
            let rows = sections.map { $0.bindings.count + 2 }.reduce(0, +) + HelpScreen.notes.count
            columns = rows > visible.height ? [Array(sections.prefix(1)), Array(sections.dropFirst())] : [sections]
            let tallest = columns.map { $0.map { $0.bindings.count + 2 }.reduce(0, +) }.max() ?? 0
            pageHeight = tallest + HelpScreen.notes.count
            // The last row says how to see the rest when the page does not fit.
            shown = pageHeight > visible.height ? max(0, visible.height - 1) : visible.height
        }

        var lastScroll: Int { max(0, pageHeight - shown) }
    }

    /// The largest useful `scroll` in `area`: the one that shows the page's last screenful.
    public static func lastScroll(in area: Rect) -> Int { Layout(area: area).lastScroll }

    public func render(area: Rect, buffer: inout Buffer) {
        buffer.setString(x: area.x, y: area.y, "convtop keys", style: theme[.title], maxWidth: area.width)
        let layout = Layout(area: area)
        let visible = layout.visible, pageHeight = layout.pageHeight, shown = layout.shown
        // Everything is drawn on a page as tall as it needs, and the rows in view are copied out.
        var page = Buffer(area: Rect(x: 0, y: 0, width: visible.width, height: pageHeight))
        let parts = page.area.split(
            .horizontal, Array(repeating: .fill(1), count: layout.columns.count), spacing: 2)
        var bottom = 0
        for (column, part) in zip(layout.columns, parts) {
            bottom = max(bottom, renderSections(column, in: part, buffer: &page))
        }
        for (i, note) in Self.notes.enumerated() {
            page.setString(x: 0, y: bottom + i, note, style: theme[.dim], maxWidth: page.area.width)
        }
        let first = min(max(0, scroll), layout.lastScroll)
        for row in 0..<min(shown, pageHeight - first) {
            for x in 0..<visible.width {
                buffer[visible.x + x, visible.y + row] = page[x, first + row]
            }
        }
        if pageHeight > visible.height && visible.height > 0 {
            buffer.setString(
                x: visible.x, y: visible.bottom - 1,
                "↑↓ j k scroll: rows \(first + 1)-\(first + shown) of \(pageHeight)", style: theme[.label],
                maxWidth: visible.width)
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
