import Foundation

/// Number and time formats shared by the widgets.
public enum Format {
    /// A short number: three significant digits, or k/M suffixes for large values ("0.0123", "2.31", "12.3k").
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
        let a = abs(value)
        if a >= 1_000_000 { return String(format: "%.3gM", value / 1_000_000) }
        if a >= 10_000 { return String(format: "%.3gk", value / 1000) }
        if a >= 1000 { return String(format: "%.0f", value) }
        if a != 0 && a < 0.001 { return String(format: "%.1e", value) }
        return String(format: "%.3g", value)
    }

    /// A count with thousands separators: 61706 → "61,706".
    public static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// A fraction as a percentage with one decimal: 0.9234 → "92.3%".
    public static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

    /// Seconds as h:mm:ss (or m:ss under an hour).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// A learning rate to three significant digits: "0.01", "0.0763", "3e-04".
    public static func learningRate(_ value: Double) -> String {
        value != 0 && abs(value) < 0.001 ? String(format: "%.0e", value) : String(format: "%.3g", value)
    }

    /// `text` cut to `width` characters, ending in "…" when cut.
    public static func truncate(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        return text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    /// Lines at most `width` long that hold `text`, broken at spaces; at most `maximumLines`, the
    /// last cut with "…" when the text goes on.
    public static func wrapped(_ text: String, width: Int, maximumLines: Int = 3) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        guard lines.count > maximumLines else { return lines }
        return lines.prefix(maximumLines - 1) + [
            Format.truncate(lines[maximumLines - 1] + " " + lines[maximumLines], width)
        ]
    }

    /// `text` cut to its last `width` characters, starting with "…" when cut: for file paths, whose
    /// end (the file's own name) tells them apart.
    public static func truncateLeading(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        return text.count <= width ? text : "…" + String(text.suffix(width - 1))
    }

    /// `text` padded on the left to `width`.
    public static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `text` padded on the right to `width`.
    public static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
