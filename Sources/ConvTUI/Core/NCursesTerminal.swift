import CNCurses
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the user asked for colour, from `--no-color` and the `NO_COLOR` convention (no-color.org).
public enum ColorPreference: Sendable, Equatable {
    /// Colour when the terminal has it, unless `NO_COLOR` is set to a non-empty value.
    case automatic
    /// Attributes only (`--no-color`).
    case never

    /// Whether colour is allowed given the environment.
    public func allowsColor(environment: [String: String]) -> Bool {
        self == .automatic && (environment["NO_COLOR"] ?? "").isEmpty
    }
}

/// Opening the terminal failed.
public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The real terminal, through ncurses (the only code that imports the curses shim).
///
/// Create it, use it and drop it on one thread (the main thread): curses is not thread-safe.
/// The screen is restored by `close()`, by `deinit`, at process exit (an `atexit` hook) and by the
/// static `restore()`, which a fatal-error or signal path may call; restoring twice is harmless.
/// A signal handler should preferably only set a flag that the dashboard's `interrupted` closure
/// reads, so that the dashboard stops the run, waits for its checkpoint and returns; the caller then
/// lets this terminal go (or calls `restore()`) before printing anything.
public final class NCursesTerminal: Terminal {
    public private(set) var capabilities: TerminalCapabilities
    private var previous: Buffer?
    private var pairs: ColorPairCache

    /// Whether curses currently owns the screen. Only the owning thread and `restore()` touch it;
    /// `restore()` from a signal path may race the owner, but both only ever set it to `false`.
    nonisolated(unsafe) private static var active = false
    /// Set once by the owning thread, so that the exit hook is registered only once per process.
    nonisolated(unsafe) private static var exitHookInstalled = false

    /// Takes over the terminal: locale, raw-ish input, colours. Throws when standard input or output
    /// is not a terminal curses can drive (for example an unknown `TERM`).
    public init(
        colorPreference: ColorPreference = .automatic,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        setlocale(LC_ALL, "")
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError(description: "standard input and output must be a terminal for the dashboard")
        }
        guard let screen = convtop_newterm() else {
            throw TerminalError(description: "cannot drive the terminal (TERM=\(environment["TERM"] ?? "unset"))")
        }
        set_term(screen)
        Self.active = true
        if !Self.exitHookInstalled {
            Self.exitHookInstalled = true
            atexit { NCursesTerminal.restore() }
        }
        cbreak()
        noecho()
        keypad(convtop_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        var depth = ColorDepth.monochrome
        if colorPreference.allowsColor(environment: environment) && has_colors() {
            start_color()
            use_default_colors()
            let colors = convtop_colors()
            depth = colors >= 1 << 24 ? .direct : colors >= 256 ? .palette256 : .basic
        }
        capabilities = TerminalCapabilities(colorDepth: depth, unicode: convtop_locale_is_utf8() != 0)
        pairs = ColorPairCache(capacity: depth == .monochrome ? 0 : Int(convtop_color_pairs()))
    }

    deinit { Self.restore() }

    /// Gives the screen back to the shell (idempotent).
    public func close() { Self.restore() }

    /// Ends curses mode if it is active: the cursor, echo and the normal screen come back.
    /// Idempotent; safe to call from an exit or fatal-error path.
    public static func restore() {
        guard active else { return }
        active = false
        if !isendwin() { endwin() }
    }

    public var size: (width: Int, height: Int) {
        (Int(convtop_getmaxx(convtop_stdscr())), Int(convtop_getmaxy(convtop_stdscr())))
    }

    public func draw(_ buffer: Buffer) {
        let changes =
            previous.map { buffer.diff(from: $0) }
            ?? buffer.diff(from: Buffer(area: .init(x: 0, y: 0, width: 0, height: 0)))
        if previous?.area != buffer.area { werase(convtop_stdscr()) }
        var overflowed = false
        for change in changes {
            put(change.cell, x: change.x, y: change.y, overflowed: &overflowed)
        }
        if overflowed {
            // Every pair was taken: start the table afresh and send the whole frame with it, so no
            // cell keeps a pair number that now means other colours.
            pairs.removeAll()
            var ignored = false
            for change in buffer.diff(from: Buffer(area: .init(x: 0, y: 0, width: 0, height: 0))) {
                put(change.cell, x: change.x, y: change.y, overflowed: &ignored)
            }
        }
        wrefresh(convtop_stdscr())
        previous = buffer
    }

    private func put(_ cell: Cell, x: Int, y: Int, overflowed: inout Bool) {
        var attributes: attr_t = 0
        let m = cell.style.modifiers
        if m.contains(.bold) { attributes |= convtop_attr_bold() }
        if m.contains(.dim) { attributes |= convtop_attr_dim() }
        if m.contains(.reverse) { attributes |= convtop_attr_reverse() }
        if m.contains(.underline) { attributes |= convtop_attr_underline() }
        var pair: Int32 = 0
        if capabilities.hasColor {
            let fg = TerminalColor.number(cell.style.foreground, depth: capabilities.colorDepth)
            let bg = TerminalColor.number(cell.style.background, depth: capabilities.colorDepth)
            if let p = pairs.pair(foreground: fg, background: bg) {
                if p.isNew { _ = convtop_init_pair(p.number, fg, bg) }
                pair = p.number
            } else {
                overflowed = true
            }
        }
        let scalar = cell.symbol.unicodeScalars.first?.value ?? 32
        let shown = capabilities.unicode || scalar < 128 ? scalar : 63
        _ = convtop_put_cell(Int32(y), Int32(x), shown, attributes, pair)
    }

    public func readKey(timeout: Double) -> Key? {
        // Rounded up: a wait cut to 0 ms would make the caller's loop spin until its frame is due.
        wtimeout(convtop_stdscr(), Int32(max(0, (timeout * 1000).rounded(.up))))
        var value: wint_t = 0
        let result = wget_wch(convtop_stdscr(), &value)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            switch Int32(value) {
            case convtop_key_resize(): return .resize
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            default: return nil
            }
        }
        switch value {
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
            return .character(Character(scalar))
        }
    }
}
