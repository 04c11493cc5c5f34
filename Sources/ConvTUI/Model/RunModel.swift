import ConvProtocol

/// What the dashboard knows about the run, built only from the session's events by `apply`.
public struct RunModel: Sendable, Equatable {
    /// The run's state as the session last reported it.
    public enum State: Sendable, Equatable {
        case starting, running, paused, finished, failed
    }

    /// Something that happened at a step, drawn on the x axis of the loss chart.
    public struct Marker: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case learningRate, pause, undo }
        public var step: Int
        public var kind: Kind

        public init(step: Int, kind: Kind) {
            self.step = step
            self.kind = kind
        }
    }

    /// Most points kept per loss series (each point may average several steps).
    public static let historyCapacity = 1024
    /// Most markers kept; older ones are dropped.
    public static let markerCapacity = 256
    /// Most abandoned branches kept for the charts; older ones are dropped.
    public static let branchCapacity = UndoLimit.interventions

    /// A learning-rate range test: its sweep, the points so far and, once it is over, what it found.
    public struct RangeTest: Sendable, Equatable {
        public var sweep: LearningRateSweep
        public var probes: [LearningRateProbe] = []
        public var finding: LearningRateFinding?

        public init(sweep: LearningRateSweep) {
            self.sweep = sweep
        }

        public var isRunning: Bool { finding == nil }
    }

    /// What an undo left behind: the losses charted after the step the run went back to.
    public struct AbandonedBranch: Sendable, Equatable {
        public var rewind: Rewind
        public var trainLoss: [ChartPoint]
        public var evaluationLoss: [Split: [ChartPoint]]
    }

    public private(set) var summary: RunSummary?
    public private(set) var state: State = .starting
    public private(set) var pauseReason: String?
    public private(set) var failure: String?
    public private(set) var latestStep: StepMetrics?
    public private(set) var learningRate: Double?
    /// The session's smoothed training loss (`StepMetrics.smoothedLoss`), x = step.
    public private(set) var trainLoss = Series(capacity: historyCapacity)
    /// Evaluation loss by split, x = step. One point per evaluation.
    public private(set) var evaluationLoss: [Split: Series] = [:]
    /// Training accuracy per epoch, x = epoch.
    public private(set) var trainAccuracy = Series(capacity: historyCapacity)
    /// Evaluation accuracy by split, x = epochs (fractional for evaluations asked mid-epoch).
    public private(set) var evaluationAccuracy: [Split: Series] = [:]
    public private(set) var markers: [Marker] = []
    /// The newest evaluation of the main split (the test set when there is one).
    public private(set) var evaluation: Evaluation?
    /// Per-class accuracy of the evaluation before `evaluation`, for the change column.
    public private(set) var previousClassAccuracy: [Float]?
    public private(set) var lastCheckpoint: String?
    public private(set) var result: FinalResult?
    /// What `--init-from` took from another run, for the model screen.
    public private(set) var initialization: WeightInitialization?
    /// The monitored figure's best so far, when the run keeps a best model.
    public private(set) var best: BestEvaluation?
    /// Why the run stopped early, when it did.
    public private(set) var earlyStopReason: String?
    /// The images marked in the misclassified browser, as the trainer recorded them, oldest first.
    public private(set) var marks: [ImageMark] = []
    /// The latest learning-rate range test.
    public private(set) var rangeTest: RangeTest?
    /// Branches abandoned by undo, oldest first, drawn dimmed beside the run's losses.
    public private(set) var abandonedBranches: [AbandonedBranch] = []
    /// Saliency maps the session sent, until a new evaluation of their split replaces the images.
    public private(set) var saliency: [SaliencyKey: SaliencyOverlay] = [:]
    public private(set) var layerHealth = LayerHealthHistory()

    public init() {}

    public var classNames: [String] { summary?.classNames ?? [] }

    /// The name of class `label`, or its number when the run did not name it.
    public func className(_ label: Int) -> String {
        label >= 0 && label < classNames.count ? classNames[label] : "#\(label)"
    }

    /// The mark of the image at `index` of `split`, if it has one.
    public func mark(split: Split, index: Int) -> ImageMark? {
        marks.first { $0.names(split: split, index: index) }
    }

    public var totalSteps: Int { (summary?.epochs ?? 0) * (summary?.stepsPerEpoch ?? 0) }

    /// Steps done out of the total, 0...1.
    public var progress: Double {
        guard let step = latestStep?.step, totalSteps > 0 else { return state == .finished ? 1 : 0 }
        return min(1, Double(step) / Double(totalSteps))
    }

    /// Seconds left at the pace of this run so far, when it can be told.
    public var secondsRemaining: Double? {
        guard let s = latestStep, let summary, s.elapsed > 0 else { return nil }
        let done = s.step - summary.startStep
        guard done > 0 else { return nil }
        return Double(max(0, totalSteps - s.step)) * s.elapsed / Double(done)
    }

    public mutating func apply(_ event: TrainingEvent) {
        switch event {
        case .started(let run):
            summary = run
            learningRate = run.learningRate
            state = .running
        case .initialized(let i):
            initialization = i
        case .step(let m):
            latestStep = m
            learningRate = m.learningRate
            if state == .starting { state = .running }
            trainLoss.append(ChartPoint(x: Double(m.step), y: Double(m.smoothedLoss)))
        case .epochCompleted(let e):
            trainAccuracy.append(ChartPoint(x: Double(e.epoch), y: Double(e.accuracy)))
        case .evaluation(let e):
            if let main = evaluation, main.split == e.split, main.step == e.step {
                // No step since: the model is the same, and so is the evaluation (asked again while
                // paused, or recomputed from the checkpoint with its images by `convtop view`).
                evaluation = e
                break
            }
            evaluationLoss[e.split, default: Series(capacity: Self.historyCapacity)]
                .append(ChartPoint(x: Double(e.step), y: Double(e.loss)))
            evaluationAccuracy[e.split, default: Series(capacity: Self.historyCapacity)]
                .append(ChartPoint(x: epochs(atStep: e.step, epoch: e.epoch), y: Double(e.accuracy)))
            saliency = saliency.filter { $0.key.split != e.split }
            if evaluation == nil || e.split == .test || evaluation?.split == e.split {
                if evaluation?.split == e.split { previousClassAccuracy = evaluation?.perClassAccuracy }
                evaluation = e
            }
        case .paused(let step, let reason):
            state = .paused
            pauseReason = reason
            addMarker(Marker(step: step, kind: .pause))
        case .resumed:
            state = .running
            pauseReason = nil
        case .learningRateChanged(_, let new, let step):
            learningRate = new
            addMarker(Marker(step: step, kind: .learningRate))
        case .checkpointSaved(let path, _):
            lastCheckpoint = path
        case .warning:
            // The dashboard shows a warning as its notice; the run's history keeps nothing of it.
            break
        case .finished(let r):
            result = r
            state = .finished
            if let path = r.checkpointPath { lastCheckpoint = path }
        case .failed(let error):
            failure = error
            state = .failed
        case .bestImproved(let new):
            best = new
        case .earlyStopped(let reason, _):
            earlyStopReason = reason
        case .imageMarked(let mark):
            if let existing = marks.firstIndex(where: { $0.names(split: mark.split, index: mark.index) }) {
                marks[existing] = mark
            } else {
                marks.append(mark)
            }
        case .imageUnmarked(let split, let index):
            marks.removeAll { $0.names(split: split, index: index) }
        case .learningRateSweepStarted(let sweep):
            rangeTest = RangeTest(sweep: sweep)
        case .learningRateProbed(let probe):
            if rangeTest?.sweep.step == probe.step { rangeTest?.probes.append(probe) }
        case .learningRateFound(let finding):
            if rangeTest?.sweep.step == finding.step { rangeTest?.finding = finding }
        case .undone(let rewind):
            abandon(rewind)
        case .saliency(let answer):
            for map in answer.maps {
                saliency[SaliencyKey(split: answer.split, index: map.index, target: answer.target)] =
                    SaliencyOverlay(map: map, method: answer.method, step: answer.step)
            }
        case .layerHealth(let sample):
            layerHealth.append(sample)
        }
    }

    /// Moves the losses charted after the step an undo went back to into an abandoned branch.
    private mutating func abandon(_ rewind: Rewind) {
        let after = Double(rewind.step)
        var evaluation: [Split: [ChartPoint]] = [:]
        for split in evaluationLoss.keys { evaluation[split] = evaluationLoss[split]!.truncate(after: after) }
        let abandoned = trainLoss.truncate(after: after)
        // The branch starts where it left the run's line, so that the two visibly part there.
        let start = trainLoss.last.map { [$0] } ?? []
        abandonedBranches.append(
            AbandonedBranch(rewind: rewind, trainLoss: start + abandoned, evaluationLoss: evaluation))
        if abandonedBranches.count > Self.branchCapacity { abandonedBranches.removeFirst() }
        learningRate = rewind.learningRate
        addMarker(Marker(step: rewind.step, kind: .undo))
    }

    /// Epochs done at `step`, as a fraction, so that an evaluation asked mid-epoch lands mid-epoch.
    private func epochs(atStep step: Int, epoch: Int) -> Double {
        guard let perEpoch = summary?.stepsPerEpoch, perEpoch > 0 else { return Double(epoch) }
        return Double(step) / Double(perEpoch)
    }

    private mutating func addMarker(_ marker: Marker) {
        markers.append(marker)
        if markers.count > Self.markerCapacity { markers.removeFirst(markers.count - Self.markerCapacity) }
    }
}
