import ConvProtocol

/// What a viewer that attaches late is sent first: the run's events so far, as the journal keeps
/// them. Step events are thinned to one per `stepInterval` seconds plus each epoch's last step (and
/// the latest step, so the viewer starts from the current numbers); saliency maps, answers to
/// another viewer's request, are left out; every other event is kept, and only the last evaluation
/// keeps its images.
struct RunHistory {
    let stepInterval: Double
    private(set) var records: [MetricsRecord] = []
    private var lastKeptStepTime = -Double.infinity
    /// Whether the last record is a step kept only because it is the latest.
    private var endsWithLatestStep = false
    private var lastEvaluation: Int?

    init(stepInterval: Double = 0.5) {
        self.stepInterval = stepInterval
    }

    mutating func append(_ record: MetricsRecord) {
        if case .saliency = record.event { return }
        if endsWithLatestStep, case .step = record.event {
            records.removeLast()
        }
        endsWithLatestStep = false
        switch record.event {
        case .step(let metrics):
            if metrics.stepInEpoch == metrics.stepsPerEpoch || record.time - lastKeptStepTime >= stepInterval {
                lastKeptStepTime = record.time
            } else {
                endsWithLatestStep = true
            }
        case .evaluation:
            if let index = lastEvaluation {
                let old = records[index]
                records[index] = MetricsRecord(time: old.time, step: old.step, event: old.event)
            }
            lastEvaluation = records.count
        default:
            break
        }
        records.append(record)
    }
}
