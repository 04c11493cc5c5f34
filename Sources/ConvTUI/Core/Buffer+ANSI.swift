extension Buffer {
    /// The buffer as lines of text with SGR escape sequences (24-bit and 256-colour), for printing
    /// widgets straight to a terminal outside the dashboard, as `convtop predict` does its thumbnails.
    /// Each line ends by resetting the style.
    public var ansiLines: [String] {
        (area.y..<(area.y + area.height)).map { y in
            var line = ""
            var current: Style?
            for x in area.x..<(area.x + area.width) {
                let cell = self[x, y]
                if cell.style != current {
                    line += Self.escape(cell.style)
                    current = cell.style
                }
                line.append(cell.symbol)
            }
            return line + "\u{1B}[0m"
        }
    }

    /// The SGR sequence that sets exactly `style`: reset first, then modifiers and colours.
    static func escape(_ style: Style) -> String {
        var codes = ["0"]
        let modifiers: [(Style.Modifiers, String)] = [(.bold, "1"), (.dim, "2"), (.underline, "4"), (.reverse, "7")]
        codes += modifiers.filter { style.modifiers.contains($0.0) }.map(\.1)
        for (color, base) in [(style.foreground, 38), (style.background, 48)] {
            switch color {
            case .reset: break
            case .indexed(let index): codes.append("\(base);5;\(index)")
            case .rgb(let red, let green, let blue): codes.append("\(base);2;\(red);\(green);\(blue)")
            }
        }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
