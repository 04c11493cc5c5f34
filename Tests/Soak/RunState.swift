import ConvProtocol
import ConvTraining
import Foundation

/// The run as its journal tells it, followed as the trainer appends: what the driver needs to
/// predict what a key or a command will do.
struct RunState {
    private(set) var paused = false
    private(set) var learningRate: Double
    /// Learning-rate changes the trainer keeps snapshots of, so that `undo` has something to undo.
    private(set) var undoable = 0
    /// The suggestion of the last range test, once it ended.
    private(set) var suggestion: Double?
    private(set) var rangeTestRunning = false
    private(set) var evaluations = 0
    private(set) var ended = false
    /// Journal records of each kind so far, to wait for the one an action makes.
    private(set) var counts: [String: Int] = [:]

    private let tail: JournalTail

    init(journal: URL, learningRate: Double) throws {
        tail = try JournalTail(url: journal)
        self.learningRate = learningRate
        refresh()
    }

    /// Reads the records appended since the last call.
    mutating func refresh() {
        for record in tail.read() { apply(record.event) }
    }

    private mutating func apply(_ event: TrainingEvent) {
        counts[event.journalType, default: 0] += 1
        switch event {
        case .paused: paused = true
        case .resumed: paused = false
        case .learningRateChanged(_, let new, _):
            learningRate = new
            undoable = min(UndoLimit.interventions, undoable + 1)
        case .undone(let rewind):
            learningRate = rewind.learningRate
            undoable = rewind.remaining
        case .learningRateSweepStarted:
            rangeTestRunning = true
            suggestion = nil
        case .learningRateFound(let finding):
            rangeTestRunning = false
            suggestion = finding.suggestion
        case .evaluation: evaluations += 1
        case .finished, .failed: ended = true
        default: break
        }
    }

    /// Polls the journal until it holds more than `before` records of `type` (as `counts` had
    /// them), for at most `timeout` seconds; returns whether they came.
    @discardableResult
    mutating func await(_ type: String, after before: Int, timeout: Double = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            refresh()
            if counts[type, default: 0] > before { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func count(_ type: String) -> Int { counts[type, default: 0] }
}
