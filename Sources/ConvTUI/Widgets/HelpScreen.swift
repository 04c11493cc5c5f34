/// Every key binding, grouped by screen, rendered from the key table.
public struct HelpScreen: Widget {
    public var theme: Theme

    public init(theme: Theme) { self.theme = theme }

    public func render(area: Rect, buffer: inout Buffer) {
        var y = area.y
        buffer.setString(x: area.x, y: y, "convtop keys", style: theme[.title])
        y += 2
        let keyWidth = KeyTable.bindings.map(\.label.count).max() ?? 0
        for screen in [Screen.main, .misclassified, .confusion] {
            guard y < area.bottom else { return }
            buffer.setString(x: area.x, y: y, screen.title, style: theme[.label])
            y += 1
            for binding in KeyTable.bindings where binding.screen == screen {
                guard y < area.bottom else { return }
                buffer.setString(x: area.x + 2, y: y, Format.padRight(binding.label, keyWidth), style: theme[.key])
                buffer.setString(x: area.x + 4 + keyWidth, y: y, binding.description, style: theme[.text],
                                 maxWidth: area.right - area.x - 4 - keyWidth)
                y += 1
            }
            y += 1
        }
        let notes = [
            "L prompt: enter sets the rate, esc cancels; input that is not a positive number is refused.",
            "q asks to confirm with y; the run saves a checkpoint before convtop exits.",
        ]
        for note in notes where y < area.bottom {
            buffer.setString(x: area.x, y: y, note, style: theme[.dim], maxWidth: area.width)
            y += 1
        }
    }
}
