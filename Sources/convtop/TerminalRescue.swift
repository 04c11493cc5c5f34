import ConvTUI
import Foundation

/// Gives the terminal back to the shell when the process dies of a crash signal (a Swift runtime
/// trap is SIGILL or SIGTRAP), so a fatal error never leaves the screen in curses mode.
enum TerminalRescue {
    static let signals = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    /// Installs the handlers; each restores the terminal, then lets the signal kill the process as usual.
    static func install() {
        for number in signals {
            // endwin is not async-signal-safe, but the process is dying anyway and a readable
            // shell is worth the risk (htop does the same).
            signal(number) { number in
                NCursesTerminal.restore()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
