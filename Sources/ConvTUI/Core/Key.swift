/// A key press as the dashboard sees it, independent of the terminal library.
public enum Key: Sendable, Equatable, Hashable {
    case character(Character)
    case enter
    case escape
    case backspace
    case up, down, left, right
    case pageUp, pageDown
    /// The terminal changed size.
    case resize
}
