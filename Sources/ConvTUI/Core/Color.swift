/// A terminal colour as a widget asks for it; the backend maps it to what the terminal can show.
public enum Color: Sendable, Equatable, Hashable {
    /// The terminal's own foreground or background.
    case reset
    /// An entry of the xterm 256-colour palette (0-15 are the terminal's base colours).
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    public static let black = Color.indexed(0)
    public static let red = Color.indexed(1)
    public static let green = Color.indexed(2)
    public static let yellow = Color.indexed(3)
    public static let blue = Color.indexed(4)
    public static let magenta = Color.indexed(5)
    public static let cyan = Color.indexed(6)
    public static let white = Color.indexed(7)
    public static let gray = Color.indexed(8)
    public static let brightRed = Color.indexed(9)
    public static let brightGreen = Color.indexed(10)
    public static let brightYellow = Color.indexed(11)
    public static let brightBlue = Color.indexed(12)
    public static let brightMagenta = Color.indexed(13)
    public static let brightCyan = Color.indexed(14)
    public static let brightWhite = Color.indexed(15)

    /// A grey level as an RGB colour.
    public static func gray(_ level: UInt8) -> Color { .rgb(level, level, level) }
}
