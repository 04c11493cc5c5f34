/// A learning-rate range test as it begins: the run's step and the exponential sweep it will make
/// from there, on training batches, before going back to that step bit for bit.
public struct LearningRateSweep: Sendable, Equatable {
    /// The run's step when the test began; the run continues from it afterwards.
    public var step: Int
    /// Most batches of the sweep; it stops earlier when the loss diverges.
    public var steps: Int
    public var startRate: Double
    public var endRate: Double

    public init(step: Int, steps: Int, startRate: Double, endRate: Double) {
        self.step = step
        self.steps = steps
        self.startRate = startRate
        self.endRate = endRate
    }
}

/// One batch of a range test.
public struct LearningRateProbe: Sendable, Equatable {
    /// The run's step the test began at (every probe of a test names the same step).
    public var step: Int
    /// The batch of the sweep, counted from 0.
    public var index: Int
    public var learningRate: Double
    /// The batch's mean loss; infinite or NaN once the sweep diverged.
    public var loss: Float
    /// The loss as fastai and Lightning smooth it (an exponential average with weight 0.98 on the
    /// past, divided by its total weight): what the stopping rule and the suggestions read.
    public var smoothedLoss: Float

    public init(step: Int, index: Int, learningRate: Double, loss: Float, smoothedLoss: Float) {
        self.step = step
        self.index = index
        self.learningRate = learningRate
        self.loss = loss
        self.smoothedLoss = smoothedLoss
    }
}

/// What a range test found. The run is back at `step`, paused, its state as before the test.
public struct LearningRateFinding: Sendable, Equatable {
    public var step: Int
    /// Batches the sweep trained.
    public var probes: Int
    /// Whether the sweep stopped because the smoothed loss passed four times its minimum (or
    /// stopped being a number) before it reached the end of its range.
    public var diverged: Bool
    /// fastai's "valley": the rate the dashboard offers to apply; nil when the curve is too short.
    public var suggestion: Double?
    /// The steepest descent of the smoothed loss as Lightning finds it (the minimum of its
    /// derivative with respect to the rate), shown beside the suggestion.
    public var steepest: Double?

    public init(step: Int, probes: Int, diverged: Bool, suggestion: Double?, steepest: Double?) {
        self.step = step
        self.probes = probes
        self.diverged = diverged
        self.suggestion = suggestion
        self.steepest = steepest
    }
}

/// An undo: the run went back from `fromStep` to `step`, to its whole state before an intervention.
public struct Rewind: Sendable, Equatable {
    /// The step the run stands at again.
    public var step: Int
    /// The step the run had reached when it was undone: the abandoned branch is `step + 1...fromStep`.
    public var fromStep: Int
    /// The intervention undone, as the journal wrote it ("learning rate 0.1 → 0.05").
    public var intervention: String
    /// The learning rate the run trains with again.
    public var learningRate: Double
    /// Interventions still kept for undo.
    public var remaining: Int

    public init(step: Int, fromStep: Int, intervention: String, learningRate: Double, remaining: Int) {
        self.step = step
        self.fromStep = fromStep
        self.intervention = intervention
        self.learningRate = learningRate
        self.remaining = remaining
    }
}

/// How many interventions a run keeps for undo, and how much memory their snapshots may take; the
/// newest intervention is always kept, even when its snapshot alone is larger.
public enum UndoLimit {
    public static let interventions = 5
    public static let bytes = 512 << 20

    /// "5 interventions, 512 MiB", for help texts.
    public static var description: String { "\(interventions) interventions, \(bytes >> 20) MiB" }
}
