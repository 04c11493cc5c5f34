import ArgumentParser
import ConvProtocol
import ConvTraining
import Foundation

/// Sends one command to a running run and waits for the event that acknowledges it. Exit status
/// 0 when acknowledged, 1 when not in time (or the run went away), 2 for bad arguments.
struct RunCommandSender {
    var runs: RunsOptions
    var timeout: Double

    func send(_ command: TrainingCommand, to name: String, acknowledgedBy matches: (TrainingEvent) -> Bool) throws {
        let (folder, connection) = try runs.connect(name)
        let history = connection.events()
        let ended = history.contains {
            if case .finished = $0 { true } else if case .failed = $0 { true } else { false }
        }
        if !ended, let already = Self.alreadyDone(command, history: history) {
            print("\(folder.name): \(already)")
            return
        }
        guard connection.send(command) else { throw Unacknowledged("\(folder.name): the run closed its socket") }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            for event in connection.events(waitingAtMost: deadline.timeIntervalSinceNow) where matches(event) {
                print("\(folder.name): \(event.journalType)")
                return
            }
            if connection.isClosed { break }
        }
        throw Unacknowledged(
            "\(folder.name): no acknowledgement of \(command.lineType) within \(timeout) s"
                + (connection.closedBecause.map { " (\($0))" } ?? ""))
    }

    /// Pausing a paused run (or resuming a running one) has nothing to acknowledge: it is done.
    private static func alreadyDone(_ command: TrainingCommand, history: [TrainingEvent]) -> String? {
        let paused =
            history.last { if case .paused = $0 { true } else if case .resumed = $0 { true } else { false } }
            .map { $0.journalType == "paused" } ?? false
        switch command {
        case .pause where paused: return "already paused"
        case .resume where !paused: return "not paused"
        default: return nil
        }
    }

    struct Unacknowledged: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// The options every one-shot command shares.
struct SteerOptions: ParsableArguments {
    @Argument(help: "The run: its name under --runs-dir, or its folder.")
    var run: String

    @OptionGroup var runs: RunsOptions

    @Option(help: "Seconds to wait for the run's acknowledgement.")
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive, got \(timeout)") }
    }

    func send(_ command: TrainingCommand, acknowledgedBy matches: (TrainingEvent) -> Bool) throws {
        do {
            try RunCommandSender(runs: runs, timeout: timeout).send(command, to: run, acknowledgedBy: matches)
        } catch let error as RunCommandSender.Unacknowledged {
            FileHandle.standardError.write(Data("convtop: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a running run.")
    @OptionGroup var options: SteerOptions

    func run() throws {
        try options.send(.pause) { if case .paused = $0 { true } else { false } }
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused run.")
    @OptionGroup var options: SteerOptions

    func run() throws {
        try options.send(.resume) { if case .resumed = $0 { true } else { false } }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a run: it finishes its step, saves a checkpoint and ends.")
    @OptionGroup var options: SteerOptions

    func run() throws {
        try options.send(.stop) { if case .finished = $0 { true } else { false } }
    }
}

struct LearningRateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lr", abstract: "Set a running run's learning rate.")
    @OptionGroup var options: SteerOptions

    @Argument(help: "The new learning rate (a positive number).")
    var value: Double

    func validate() throws {
        guard value.isFinite && value > 0 else {
            throw ValidationError("the learning rate must be a positive number, got \(value)")
        }
    }

    func run() throws {
        try options.send(.setLearningRate(value)) { if case .learningRateChanged = $0 { true } else { false } }
    }
}

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Return a running run to its state before its last learning-rate change.",
        discussion: "A run keeps its last \(UndoLimit.description) of snapshots; each undo takes one.")
    @OptionGroup var options: SteerOptions

    func run() throws {
        try options.send(.undo) {
            switch $0 {
            case .undone: true
            case .warning(let message): message.hasPrefix("nothing to undo")
            default: false
            }
        }
    }
}
