import ConvProtocol

/// What a viewer that attaches late is sent first: the run's events so far, as the journal keeps
/// them, within a bound however long the run. Step events are thinned to one per `stepInterval`
/// seconds plus each epoch's last step (and the latest step, so the viewer starts from the current
/// numbers); saliency maps, answers to another viewer's request, are left out; only the latest range
/// test keeps its points, and only the last evaluation keeps its images. Steps, epochs, evaluations
/// and layer-health samples are each kept to at most their `limits`: past it, every second one is
/// dropped, evenly over the run as a live viewer's charts average their points (`Series`), so a
/// late viewer's charts still cover the whole run.
struct RunHistory {
    /// Most records of each thinned kind, by `journalType`.
    static let limits = ["step": 1024, "epoch": 512, "evaluation": 512, "layer_health": 256]
    /// How many of the newest records of a thinned kind are never dropped; among them the last
    /// evaluation of each split and the one before, whose per-class accuracies the viewer compares.
    static let keptNewest = 4

    /// A thinned kind's records: the `stride`-th of them are kept, and the newest.
    private struct Thinning {
        var appended = 0
        var kept = 0
        var stride = 1
    }

    /// A record and, for a thinned kind, its number among the records of its kind.
    private struct Entry {
        var record: MetricsRecord
        var ordinal: Int?
    }

    let stepInterval: Double
    private var entries: [Entry] = []
    private var lastKeptStepTime = -Double.infinity
    /// Whether the last record is a step kept only because it is the latest.
    private var endsWithLatestStep = false
    private var lastEvaluation: Int?
    private var thinning: [String: Thinning] = [:]

    init(stepInterval: Double = 0.5) {
        self.stepInterval = stepInterval
    }

    var records: [MetricsRecord] { entries.map(\.record) }

    mutating func append(_ record: MetricsRecord) {
        if case .saliency = record.event { return }
        if endsWithLatestStep, case .step = record.event { entries.removeLast() }
        endsWithLatestStep = false
        switch record.event {
        case .step(let metrics):
            if metrics.stepInEpoch == metrics.stepsPerEpoch || record.time - lastKeptStepTime >= stepInterval {
                lastKeptStepTime = record.time
            } else {
                endsWithLatestStep = true
                entries.append(Entry(record: record))
                return
            }
        case .evaluation:
            if let index = lastEvaluation {
                let old = entries[index].record
                entries[index].record = MetricsRecord(time: old.time, step: old.step, event: old.event)
            }
            lastEvaluation = entries.count
        case .learningRateSweepStarted:
            removeEntries { if case .learningRateProbed = $0.record.event { true } else { false } }
        default:
            break
        }
        let kind = record.event.journalType
        guard let limit = Self.limits[kind] else {
            entries.append(Entry(record: record))
            return
        }
        var state = thinning[kind, default: Thinning()]
        entries.append(Entry(record: record, ordinal: state.appended))
        state.appended += 1
        state.kept += 1
        // The record that stops being one of the newest goes unless the stride keeps it.
        let leaving = state.appended - 1 - Self.keptNewest
        if leaving >= 0, !leaving.isMultiple(of: state.stride),
            let index = entries.lastIndex(where: { $0.ordinal == leaving && $0.record.event.journalType == kind })
        {
            entries.remove(at: index)
            lastEvaluation = lastEvaluation.map { $0 > index ? $0 - 1 : $0 }
            state.kept -= 1
        }
        if state.kept > limit {
            state.stride *= 2
            let newest = state.appended - Self.keptNewest
            removeEntries { entry in
                guard let ordinal = entry.ordinal, ordinal < newest, !ordinal.isMultiple(of: state.stride) else {
                    return false
                }
                return entry.record.event.journalType == kind
            }
            state.kept = entries.count { $0.ordinal != nil && $0.record.event.journalType == kind }
        }
        thinning[kind] = state
    }

    private mutating func removeEntries(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
        lastEvaluation = entries.lastIndex { $0.record.event.journalType == "evaluation" }
    }
}
