import ConvProtocol

/// One run of a comparison: what its events told (a `RunModel`, as the dashboard keeps it), its
/// best evaluation, and whether a process still serves it.
public struct ComparedRun: Sendable, Equatable {
    public var name: String
    public private(set) var model = RunModel()
    /// The best accuracy of each split's evaluations so far.
    public private(set) var bestAccuracy: [Split: Float] = [:]
    /// The learning-rate changes and pauses, in order, as the table lists them.
    public private(set) var interventions: [String] = []
    /// Whether a process serves the run now (its pid lives and its socket answers); the command
    /// that watches the runs keeps it up to date. A run that has not ended and is not served died.
    public var isServed: Bool

    public init(name: String, isServed: Bool) {
        self.name = name
        self.isServed = isServed
    }

    public mutating func apply(_ event: TrainingEvent) {
        model.apply(event)
        switch event {
        case .evaluation(let e):
            bestAccuracy[e.split] = max(bestAccuracy[e.split] ?? 0, e.accuracy)
        case .learningRateChanged(_, let new, let step):
            interventions.append("lr \(Format.learningRate(new)) @\(epochText(step))")
        case .paused(let step, _):
            interventions.append("pause @\(epochText(step))")
        default:
            break
        }
    }

    /// Epochs done at a global step, or the step itself before the run's summary arrived.
    public func epochs(atStep step: Int) -> Double {
        guard let perEpoch = model.summary?.stepsPerEpoch, perEpoch > 0 else { return Double(step) }
        return Double(step) / Double(perEpoch)
    }

    private func epochText(_ step: Int) -> String {
        model.summary == nil ? "step \(step)" : "e" + Format.compact(epochs(atStep: step))
    }

    /// The split whose accuracy the comparison shows: the test set when the run evaluates on it.
    public var mainSplit: Split? { model.evaluation?.split }

    /// The best accuracy of the main split.
    public var best: Float? { mainSplit.flatMap { bestAccuracy[$0] } }

    /// The run's state as `convtop runs` names it.
    public var state: String {
        switch model.state {
        case .finished:
            let epochs = model.summary?.epochs ?? 0
            return (model.result?.epoch ?? 0) >= epochs ? "finished" : "stopped"
        case .failed: return "failed"
        case .starting, .running, .paused:
            guard isServed else { return "dead" }
            return model.state == .paused ? "paused" : "running"
        }
    }
}

/// What `convtop compare` shows: several runs side by side, each charted in its own style and
/// marker, and the settings in which they differ.
public struct ComparisonState: Sendable, Equatable {
    public private(set) var runs: [ComparedRun]
    public var logScale = false
    public private(set) var shouldExit = false

    /// The symbol of each run on the charts and in the table, so that runs read without colour.
    public static let markers: [Character] = ["●", "■", "▲", "◆", "○", "□", "△", "◇"]
    /// The most runs one comparison shows: one per marker.
    public static var maximumRuns: Int { markers.count }

    /// The keys of the comparison, for key handling and its footer.
    public static let bindings: [KeyBinding] = [
        KeyBinding([.character("l")], "l", .toggleLogScale, "log scale for the loss chart", footer: "log scale"),
        KeyBinding([.character("q"), .escape], "q", .quit, "quit", footer: "quit"),
    ]

    public init(runs: [ComparedRun]) {
        precondition(runs.count <= Self.maximumRuns, "a comparison shows at most \(Self.maximumRuns) runs")
        self.runs = runs
    }

    public mutating func apply(_ event: TrainingEvent, toRun index: Int) {
        runs[index].apply(event)
    }

    public mutating func setServed(_ served: Bool, run index: Int) {
        runs[index].isServed = served
    }

    /// Ends the comparison (q, or a signal).
    public mutating func quit() {
        shouldExit = true
    }

    /// Handles a key; returns whether it meant anything.
    public mutating func handle(_ key: Key) -> Bool {
        switch Self.bindings.first(where: { $0.keys.contains(key) })?.action {
        case .toggleLogScale?: logScale.toggle()
        case .quit?: quit()
        default: return false
        }
        return true
    }

    /// The settings (from each run's summary) whose values are not the same for every run that
    /// has started: the setting's name and each run's value ("" before the run's summary arrived).
    public var differingSettings: [(name: String, values: [String])] {
        let settings: [(String, (RunSummary) -> String)] = [
            ("data", { $0.datasetName }), ("model", { $0.modelName }),
            ("params", { Format.grouped($0.parameterCount) }),
            ("epochs", { "\($0.epochs)" }), ("batch", { "\($0.batchSize)" }),
            ("lr", { Format.learningRate($0.learningRate) }), ("optimizer", { $0.optimizer }),
            ("flips", { $0.testFlips ? "on" : "off" }), ("shifts", { $0.testShifts ? "on" : "off" }),
            ("train", { Format.grouped($0.trainCount) }),
            ("val", { Format.grouped($0.validationCount) }), ("threads", { "\($0.threads)" }),
            ("ranks", { "\($0.worldSize)" }), ("kernel", { $0.kernel }),
        ]
        return settings.compactMap { name, value in
            let values = runs.map { $0.model.summary.map(value) ?? "" }
            return Set(values.filter { !$0.isEmpty }).count > 1 ? (name: name, values: values) : nil
        }
    }
}
