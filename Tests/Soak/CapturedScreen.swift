import ConvTUI
import Foundation

/// The dashboard as `tmux capture-pane` shows it, read the way a person reads it: the state badge,
/// which screen is open, the learning rate, the notice line and the footer.
///
/// Rows follow `DashboardView`: two status rows, the body from row 2, then the notice (or prompt)
/// row and the footer on the last row.
struct CapturedScreen {
    /// The screens of the dashboard, as the driver tells them apart.
    enum Page: String, CaseIterable, Codable {
        case main, help, misclassified, confusion, modelSummary, rangeTest, layerHealth

        /// Whether the body's first row (after the one-column inset of the non-main screens) is
        /// this screen's heading.
        func isHeading(_ heading: Substring) -> Bool {
            switch self {
            case .main: heading.hasPrefix("Loss")
            case .help: heading.hasPrefix("convtop keys")
            case .misclassified: heading.hasPrefix("Misclassified ") && heading.contains(" images")
            case .confusion: heading.hasPrefix("Confusion matrix")
            case .modelSummary: heading.hasPrefix("Model summary") || heading.contains(" parameters, ")
            case .rangeTest: heading.hasPrefix("LR range test") || heading.hasPrefix("Learning-rate range test")
            case .layerHealth: heading.hasPrefix("Layer health")
            }
        }

        var screen: Screen {
            switch self {
            case .main: .main
            case .help: .help
            case .misclassified: .misclassified
            case .confusion: .confusion
            case .modelSummary: .modelSummary
            case .rangeTest: .rangeTest
            case .layerHealth: .layerHealth
            }
        }

        /// How the footer starts: the first key label the dashboard's own key table puts there, so
        /// that a relabelled key changes the driver's expectation with it.
        var footerStart: String { KeyTable.footer(for: screen).first?.footerLabel ?? "" }
    }

    var rows: [String]

    init(_ rows: [String]) { self.rows = rows }

    private func row(_ i: Int) -> String { rows.indices.contains(i) ? rows[i] : "" }

    var isTooSmall: Bool { rows.contains { $0.contains("Terminal too small") } }

    /// "Terminal too small: WxH" for exactly this size.
    func saysTooSmall(width: Int, height: Int) -> Bool {
        rows.contains { $0.contains("Terminal too small: \(width)x\(height)") }
    }

    var isPaused: Bool { row(0).hasPrefix(" PAUSED ") }
    var isRunning: Bool { row(0).hasPrefix(" RUNNING ") }

    /// The open screen, from the body's first row.
    var page: Page? {
        let heading = row(2).drop { $0 == " " }
        return Page.allCases.first { $0.isHeading(heading) }
    }

    /// The notice or prompt row, above the footer.
    var notice: String { row(rows.count - 2) }
    var footer: String { row(rows.count - 1) }

    var promptIsOpen: Bool { notice.hasPrefix("New learning rate: ") }
    var markPromptIsOpen: Bool { notice.hasPrefix("Mark ") && notice.contains(" note: ") }
    /// The question `q` asks in an attached dashboard: stop the run, or detach.
    var asksStopOrDetach: Bool { notice.hasPrefix("Stop the run (y") }

    /// Whether the status row shows `rate` (as `Format.learningRate` writes it).
    func showsLearningRate(_ text: String) -> Bool {
        let status = row(1)
        return status.contains("lr \(text) ") || status.hasSuffix("lr \(text)")
    }

    /// Whether the whole dashboard for `page` is drawn at this size: its heading and its footer.
    func shows(_ page: Page) -> Bool {
        !isTooSmall && self.page == page && footer.hasPrefix(page.footerStart)
            && (row(0).contains("RUNNING") || row(0).contains("PAUSED"))
    }

    /// The browser's heading: "Misclassified test images I/N, …" gives I and N; "none" gives nil.
    var browserPosition: (index: Int, count: Int)? {
        let heading = row(2).drop { $0 == " " }
        guard Page.misclassified.isHeading(heading), let images = heading.range(of: " images ") else { return nil }
        let numbers = heading[images.upperBound...].prefix { $0 != "," }
        let parts = numbers.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        return (i, n)
    }

    var browserHeading: String { row(2) }

    /// Whether the browser's heading names `filter` ("… (true Coat, predicted Shirt)"), as far as
    /// it shows: at narrow widths the heading is cut at the window's edge, in or before the filter.
    func browserHeadingShows(_ filter: String) -> Bool {
        let heading = browserHeading.trimmingCharacters(in: .whitespaces)
        if heading.contains("(\(filter))") { return true }
        guard let open = heading.lastIndex(of: "(") else { return Page.misclassified.isHeading(heading[...]) }
        return filter.hasPrefix(heading[heading.index(after: open)...])
    }

    func contains(_ text: String) -> Bool { rows.contains { $0.contains(text) } }

    /// The confusion matrix's cursor, from the row that describes its cell ("true A, predicted B: …"
    /// or "A: N correct"), given the class names in label order.
    func matrixCursor(classNames: [String]) -> (row: Int, column: Int)? {
        for line in rows {
            let text = line.drop { $0 == " " }
            for (t, truth) in classNames.enumerated() {
                if text.hasPrefix("\(truth): "), text.contains(" correct") { return (t, t) }
                guard text.hasPrefix("true \(truth), predicted ") else { continue }
                for (p, predicted) in classNames.enumerated()
                where text.hasPrefix("true \(truth), predicted \(predicted): ") {
                    return (t, p)
                }
            }
        }
        return nil
    }

    /// The first and last row and the row count of a scrolled page ("… rows A-B of N"), as the help
    /// and the model summary write them; nil when the whole page shows.
    var scrolledRows: (first: Int, last: Int, count: Int)? {
        for line in rows {
            guard let range = line.range(of: "rows ", options: .backwards) else { continue }
            let words = line[range.upperBound...].split(separator: " ")
            guard words.count >= 3, words[1] == "of" else { continue }
            let bounds = words[0].split(separator: "-")
            let count = Int(words[2].prefix { $0.isNumber })
            if bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), let count {
                return (first, last, count)
            }
        }
        return nil
    }
}
