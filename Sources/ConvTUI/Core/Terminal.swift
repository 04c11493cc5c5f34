/// A screen the dashboard draws frames on and reads keys from.
///
/// `draw` receives a whole frame; an implementation sends only the cells that changed since the
/// previous frame. Every call comes from the one thread that owns the terminal.
public protocol Terminal {
    /// Current size in cells.
    var size: (width: Int, height: Int) { get }
    /// What the terminal can show; widgets choose their look from it.
    var capabilities: TerminalCapabilities { get }
    /// Shows `buffer` (which covers the whole screen).
    mutating func draw(_ buffer: Buffer)
    /// Waits up to `timeout` seconds for a key; `nil` when none arrived.
    mutating func readKey(timeout: Double) -> Key?
}

/// How many colours the terminal shows.
public enum ColorDepth: Sendable, Equatable, Comparable {
    /// No colour: attributes only (no colour support, `NO_COLOR`, or `--no-color`).
    case monochrome
    /// The 8 or 16 base colours.
    case basic
    /// The xterm 256-colour palette.
    case palette256
    /// 24-bit colour.
    case direct
}

/// What a terminal can display.
public struct TerminalCapabilities: Sendable, Equatable {
    public var colorDepth: ColorDepth
    /// Whether block and braille characters can be shown (a UTF-8 locale).
    public var unicode: Bool

    public init(colorDepth: ColorDepth, unicode: Bool = true) {
        self.colorDepth = colorDepth
        self.unicode = unicode
    }

    public var hasColor: Bool { colorDepth != .monochrome }
}
