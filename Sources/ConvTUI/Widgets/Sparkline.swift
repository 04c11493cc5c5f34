import Foundation

/// A series of values as one row of eighth blocks (ratatui's `Sparkline`), low to high; the values
/// are averaged into as many buckets as there are cells, so the row spans the whole series.
public struct Sparkline: Widget {
    public var values: [Double]
    /// Levels on a log10 scale, for figures that span orders of magnitude; values that are not
    /// positive then count as a decade below the smallest positive one.
    public var logScale: Bool
    public var style: Style

    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public init(values: [Double], logScale: Bool = false, style: Style) {
        self.values = values
        self.logScale = logScale
        self.style = style
    }

    /// The values averaged into `width` buckets (or all of them when fewer), each scaled as drawn.
    func buckets(_ width: Int) -> [Double] {
        let scaled = values.filter(\.isFinite).map { logScale ? ($0 > 0 ? log10($0) : -.infinity) : $0 }
        let count = min(width, scaled.count)
        guard count > 0 else { return [] }
        let floor = (scaled.filter(\.isFinite).min() ?? 0) - 1
        return (0..<count).map { b in
            let slice = scaled[(b * scaled.count / count)..<((b + 1) * scaled.count / count)]
            return slice.reduce(0) { $0 + ($1.isFinite ? $1 : floor) } / Double(slice.count)
        }
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let row = buckets(area.width)
        guard let low = row.min(), let high = row.max() else { return }
        for (i, value) in row.enumerated() {
            let level =
                high > low
                ? Int(((value - low) / (high - low) * Double(Self.levels.count - 1)).rounded())
                : Self.levels.count / 2
            buffer[area.x + i, area.y] = Cell(Self.levels[level], style: style)
        }
    }
}
