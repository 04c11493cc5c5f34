import ConvProtocol

/// The viewer for logs, CI and `nohup`: prints a `HeadlessReporter`'s lines as events arrive.
public struct HeadlessViewer: TrainingViewer {
    public var reporter: HeadlessReporter
    /// Receives each line, without its newline.
    public let write: (String) -> Void

    public init(reporter: HeadlessReporter = HeadlessReporter(), write: @escaping (String) -> Void) {
        self.reporter = reporter
        self.write = write
    }

    public mutating func watch(_ channel: TrainingChannel, interrupted: () -> Bool) -> TrainingEvent? {
        var stopping = false
        while true {
            if !stopping && interrupted() {
                stopping = true
                write("stopping: finishing the step and saving a checkpoint (interrupt again to quit without saving)")
                channel.send(.stop)
            }
            // A short wait keeps an interrupt prompt without spinning while training runs.
            for event in channel.events(waitingAtMost: 0.1) {
                for line in reporter.lines(for: event) { write(line) }
                switch event {
                case .finished, .failed: return event
                default: break
                }
            }
            if channel.isDrained { return nil }
        }
    }
}
