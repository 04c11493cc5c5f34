import ConvProtocol
import ConvTraining

/// A change a viewer's key or a one-shot command made to the run: what the journal must hold once.
enum Intervention: Equatable, Codable, CustomStringConvertible {
    case pause
    case resume
    case learningRate(Double)
    /// A learning-rate range test (`r`).
    case rangeTest
    case undo
    /// A mark on the evaluation image with this index, and its removal.
    case mark(Int)
    case unmark(Int)

    /// The intervention a journal record stands for, if it is one. A pause the run made by itself
    /// (for a range test, or a loss that is not finite) has a reason and is not one.
    init?(_ event: TrainingEvent) {
        switch event {
        case .paused(_, nil): self = .pause
        case .resumed: self = .resume
        case .learningRateChanged(_, let new, _): self = .learningRate(new)
        case .learningRateSweepStarted: self = .rangeTest
        case .undone: self = .undo
        case .imageMarked(let mark): self = .mark(mark.index)
        case .imageUnmarked(_, let index): self = .unmark(index)
        default: return nil
        }
    }

    /// The journal's name for the kind of record, for counting per kind.
    var kind: String {
        switch self {
        case .pause: "paused"
        case .resume: "resumed"
        case .learningRate: "lr_changed"
        case .rangeTest: "lr_find_started"
        case .undo: "undone"
        case .mark: "image_marked"
        case .unmark: "image_unmarked"
        }
    }

    /// Learning rates are compared to a millionth, as the driver multiplies them as the worker does
    /// but the typed ones pass through text.
    func matches(_ other: Intervention) -> Bool {
        switch (self, other) {
        case (.learningRate(let a), .learningRate(let b)): abs(a - b) <= 1e-6 * max(abs(a), abs(b))
        default: self == other
        }
    }

    var description: String {
        switch self {
        case .learningRate(let rate): "lr_changed \(rate)"
        case .mark(let index), .unmark(let index): "\(kind) #\(index)"
        default: kind
        }
    }

    /// An intervention as the driver sent it: who sent it, and whether its acknowledgement came.
    struct Sent: Codable {
        var intervention: Intervention
        /// "viewer 3 key p", "convtop pause", ...
        var by: String
        /// Seconds since the driver started.
        var at: Double
        /// Whether the sender saw it done; one that was not may or may not be in the journal.
        var acknowledged: Bool
    }

    /// The outcome of matching the sent interventions one to one, in order, with the journal's.
    struct Reconciliation: Codable {
        /// Per kind: acknowledged interventions sent, and journal records.
        var sent: [String: Int]
        var journalled: [String: Int]
        /// Acknowledged interventions with no journal record (in order, after the previous match).
        var missing: [String]
        /// Journal interventions nobody sent (a duplicate, or a pause for a non-finite loss).
        var unexpected: [String]
        /// Sent interventions whose acknowledgement never came (counted as misses elsewhere).
        var unacknowledged: [String]
    }

    /// Matches `sent` against `journal` in order: each sent intervention takes the next journal
    /// intervention that matches it; journal records skipped on the way are unexpected. A sent
    /// intervention that was not acknowledged takes a record when there is one, and is not missing
    /// when there is none.
    static func reconcile(sent: [Sent], journal: [MetricsRecord]) -> Reconciliation {
        let journalled = journal.compactMap { record in Intervention(record.event).map { (record, $0) } }
        var next = 0
        var missing: [String] = []
        var unexpected: [String] = []
        for entry in sent {
            guard let found = journalled[next...].firstIndex(where: { entry.intervention.matches($0.1) }) else {
                if entry.acknowledged { missing.append("\(entry.intervention) (\(entry.by) at \(Int(entry.at)) s)") }
                continue
            }
            unexpected += journalled[next..<found].map { "\($0.1) at step \($0.0.step)" }
            next = found + 1
        }
        unexpected += journalled[next...].map { "\($0.1) at step \($0.0.step)" }
        unexpected += journal.compactMap { record in
            if case .paused(let step, let reason?) = record.event, reason != rangeTestPause {
                return "pause (\(reason)) at step \(step)"
            }
            return nil
        }
        let acknowledged = sent.filter(\.acknowledged)
        return Reconciliation(
            sent: Dictionary(grouping: acknowledged, by: \.intervention.kind).mapValues(\.count),
            journalled: Dictionary(grouping: journalled, by: \.1.kind).mapValues(\.count),
            missing: missing, unexpected: unexpected,
            unacknowledged: sent.filter { !$0.acknowledged }.map { "\($0.intervention) (\($0.by))" })
    }

    /// The reason of the pause a range test makes when it starts on a running run: part of the test.
    static let rangeTestPause = "learning-rate range test"
}
