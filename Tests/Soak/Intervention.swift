import ConvProtocol
import ConvTraining

/// A change the driver made to the run and saw on the screen: a pause, a resume or a new learning rate.
enum Intervention: Equatable, Codable, CustomStringConvertible {
    case pause
    case resume
    case learningRate(Double)

    /// The intervention a journal record stands for, if it is one.
    init?(_ event: TrainingEvent) {
        switch event {
        case .paused(_, nil): self = .pause
        case .resumed: self = .resume
        case .learningRateChanged(_, let new, _): self = .learningRate(new)
        default: return nil
        }
    }

    /// Learning rates are compared to a millionth, as the driver multiplies them as the worker does
    /// but the typed ones pass through text.
    func matches(_ other: Intervention) -> Bool {
        switch (self, other) {
        case (.pause, .pause), (.resume, .resume): true
        case (.learningRate(let a), .learningRate(let b)): abs(a - b) <= 1e-6 * max(abs(a), abs(b))
        default: false
        }
    }

    var description: String {
        switch self {
        case .pause: "pause"
        case .resume: "resume"
        case .learningRate(let rate): "lr \(rate)"
        }
    }

    /// The outcome of looking for the driver's interventions, in order, among the journal's.
    struct Reconciliation: Codable {
        var logged: Int
        var journalled: Int
        /// The driver's interventions with no journal record (in order, after the previous match).
        var missing: [String]
        /// Journal interventions the driver did not make (for example a pause for a non-finite loss).
        var unexpected: [String]
    }

    /// Matches `logged` against `journal` in order: each logged intervention takes the next journal
    /// intervention that matches it; journal records skipped on the way are unexpected.
    static func reconcile(logged: [Intervention], journal: [MetricsRecord]) -> Reconciliation {
        let journalled = journal.compactMap { record in Intervention(record.event).map { (record, $0) } }
        var next = 0
        var missing: [String] = []
        var unexpected: [String] = []
        for intervention in logged {
            guard let found = journalled[next...].firstIndex(where: { intervention.matches($0.1) }) else {
                missing.append(intervention.description)
                continue
            }
            unexpected += journalled[next..<found].map { "\($0.1) at step \($0.0.step)" }
            next = found + 1
        }
        unexpected += journalled[next...].map { "\($0.1) at step \($0.0.step)" }
        unexpected += journal.compactMap { record in
            if case .paused(let step, let reason?) = record.event { return "pause (\(reason)) at step \(step)" }
            return nil
        }
        return Reconciliation(
            logged: logged.count, journalled: journalled.count, missing: missing,
            unexpected: unexpected)
    }
}
