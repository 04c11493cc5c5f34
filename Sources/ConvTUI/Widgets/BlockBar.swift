/// A horizontal bar drawn with eighth blocks, so its length has eight steps per cell.
public struct BlockBar: Widget {
    /// Filled fraction, clamped to 0...1.
    public var fraction: Double
    public var style: Style
    /// Style of the unfilled part, drawn with a light shade when set.
    public var trackStyle: Style?

    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    public init(fraction: Double, style: Style, trackStyle: Style? = nil) {
        self.fraction = fraction
        self.style = style
        self.trackStyle = trackStyle
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let units = Int((f * Double(area.width * 8)).rounded())
        for y in area.top..<area.bottom {
            for i in 0..<area.width {
                let filled = units - i * 8
                if filled >= 8 {
                    buffer[area.x + i, y] = Cell("█", style: style)
                } else if filled > 0 {
                    buffer[area.x + i, y] = Cell(Self.eighths[filled - 1], style: style)
                } else if let trackStyle {
                    buffer[area.x + i, y] = Cell("░", style: trackStyle)
                }
            }
        }
    }
}
