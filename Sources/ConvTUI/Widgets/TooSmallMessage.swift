/// Shown instead of the dashboard when the terminal is smaller than the minimum; training goes on.
public struct TooSmallMessage: Widget {
    public var width: Int
    public var height: Int
    public var minimumWidth: Int
    public var minimumHeight: Int
    public var theme: Theme

    public init(width: Int, height: Int, minimumWidth: Int, minimumHeight: Int, theme: Theme) {
        self.width = width
        self.height = height
        self.minimumWidth = minimumWidth
        self.minimumHeight = minimumHeight
        self.theme = theme
    }

    /// Draws the message over `area` when it is smaller than `options` allow; returns whether it did.
    public static func drawIfTooSmall(
        _ area: Rect, options: DashboardOptions, theme: Theme, buffer: inout Buffer
    ) -> Bool {
        guard area.width < options.minimumWidth || area.height < options.minimumHeight else { return false }
        TooSmallMessage(
            width: area.width, height: area.height, minimumWidth: options.minimumWidth,
            minimumHeight: options.minimumHeight, theme: theme
        ).render(area: area, buffer: &buffer)
        return true
    }

    public func render(area: Rect, buffer: inout Buffer) {
        let lines = [
            "Terminal too small: \(width)x\(height)",
            "convtop needs at least \(minimumWidth)x\(minimumHeight).",
            "Enlarge the window; training goes on.",
        ]
        let top = area.y + max(0, (area.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let text = Format.truncate(line, area.width)
            buffer.setString(
                x: area.x + max(0, (area.width - text.count) / 2), y: top + i, text,
                style: theme[i == 0 ? .error : .text])
        }
    }
}
