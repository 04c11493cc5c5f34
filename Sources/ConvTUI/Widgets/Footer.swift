/// The bottom row: the keys of the current screen, from the key table.
public struct Footer: Widget {
    public var bindings: [KeyBinding]
    public var theme: Theme

    /// The footer of a dashboard screen; `readOnly` leaves out the keys that steer the run, for a
    /// dashboard that cannot (`convtop view`).
    public init(screen: Screen, theme: Theme, readOnly: Bool = false) {
        self.init(bindings: KeyTable.footer(for: screen).filter { !(readOnly && $0.action.steersRun) }, theme: theme)
    }

    /// A footer of these bindings, in order (those without a footer word are left out).
    public init(bindings: [KeyBinding], theme: Theme) {
        self.bindings = bindings
        self.theme = theme
    }

    public func render(area: Rect, buffer: inout Buffer) {
        var x = area.x
        for binding in bindings {
            guard let word = binding.footer, x + binding.footerLabel.count + word.count + 2 <= area.right else { break }
            x = buffer.setString(x: x, y: area.y, binding.footerLabel, style: theme[.key])
            x = buffer.setString(x: x + 1, y: area.y, word, style: theme[.text]) + 2
        }
    }
}
