/// The bottom row: the keys of the current screen, from the key table.
public struct Footer: Widget {
    public var screen: Screen
    public var theme: Theme

    public init(screen: Screen, theme: Theme) {
        self.screen = screen
        self.theme = theme
    }

    public func render(area: Rect, buffer: inout Buffer) {
        var x = area.x
        for binding in KeyTable.footer(for: screen) {
            guard let word = binding.footer, x + binding.footerLabel.count + word.count + 2 <= area.right else { break }
            x = buffer.setString(x: x, y: area.y, binding.footerLabel, style: theme[.key])
            x = buffer.setString(x: x + 1, y: area.y, word, style: theme[.text]) + 2
        }
    }
}
