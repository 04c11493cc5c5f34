import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// The ncurses dashboard as a run's viewer. Curses lives on the calling (main) thread, the session
/// on its worker; only the channel connects them.
///
/// While the dashboard owns the screen nothing else may print into it: standard error and the
/// headless progress lines go to the run's log file. When the dashboard closes, the terminal is
/// restored and the result printed. When the terminal hangs up (SIGHUP) the run saves a checkpoint
/// and carries on headless, its lines going to the log.
struct DashboardViewer: TrainingViewer {
    private let terminal: NCursesTerminal
    private let options: DashboardOptions
    private var reporter: HeadlessReporter
    private let output: LineOutput
    private let log: FileHandle
    private let hungUp: () -> Bool

    /// Takes over the terminal; throws when it cannot be driven or the log cannot be opened.
    init(
        colorPreference: ColorPreference, options: DashboardOptions, reporter: HeadlessReporter,
        output: LineOutput, logFile: URL, hungUp: @escaping () -> Bool
    ) throws {
        let descriptor = open(logFile.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw UsageError("\(logFile.path): cannot open the run's log: \(String(cString: strerror(errno)))")
        }
        log = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        terminal = try NCursesTerminal(colorPreference: colorPreference)
        TerminalRescue.install()
        self.options = options
        self.reporter = reporter
        self.output = output
        self.hungUp = hungUp
    }

    mutating func watch(_ channel: TrainingChannel, interrupted: () -> Bool) -> TrainingEvent? {
        let standardError = dup(STDERR_FILENO)
        dup2(log.fileDescriptor, STDERR_FILENO)
        var lines = reporter
        let log = self.log
        var screen = terminal
        let state = withoutActuallyEscaping(interrupted) { interrupted in
            Dashboard.run(
                terminal: &screen, options: options,
                link: SessionLink(
                    nextEvents: {
                        let events = channel.events()
                        for event in events {
                            for line in lines.lines(for: event) { try? log.write(contentsOf: Data((line + "\n").utf8)) }
                        }
                        return events
                    },
                    send: channel.send, interrupted: interrupted, detached: hungUp))
        }
        reporter = lines
        if hungUp() { return continueHeadless(channel, interrupted: interrupted) }
        terminal.close()
        dup2(standardError, STDERR_FILENO)
        close(standardError)
        let last = state.run.result.map(TrainingEvent.finished) ?? state.run.failure.map(TrainingEvent.failed)
        if let last {
            for line in reporter.lines(for: last) { output.write(line) }
        }
        return last
    }

    /// After SIGHUP: ends curses without touching the dead terminal (its writes go to /dev/null),
    /// saves, and shows the rest of the run as log lines (`output` already writes to the log).
    private mutating func continueHeadless(_ channel: TrainingChannel, interrupted: () -> Bool) -> TrainingEvent? {
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, STDIN_FILENO)
            dup2(null, STDOUT_FILENO)
            close(null)
        }
        terminal.close()
        channel.send(.save(path: nil))
        var rest = HeadlessViewer(reporter: reporter, write: output.write)
        return rest.watch(channel, interrupted: interrupted)
    }
}
