import ConvProtocol
import Foundation

/// The bookkeeping of a learning-rate range test (Smith, "Cyclical learning rates", 2015, as fastai's
/// `lr_find` and Lightning's `LearningRateFinder` run it): the rates of an exponential sweep, the
/// smoothed loss, when to stop, and the suggested rate. Pure: the training worker trains each
/// batch at `nextRate` and hands the loss to `record`.
public struct LearningRateFinder: Sendable {
    /// fastai's range: from a rate too small to move the weights to one that makes any net diverge.
    public static let defaultStartRate = 1e-7
    public static let defaultEndRate = 10.0
    /// The weight of the past in the smoothed loss, fastai's and Lightning's.
    public static let smoothing = 0.98
    /// The sweep stops once the smoothed loss passes this multiple of its minimum.
    public static let divergenceFactor = 4.0

    public let step: Int
    public let steps: Int
    public let startRate: Double
    public let endRate: Double
    public private(set) var probes: [LearningRateProbe] = []
    /// Whether the sweep stopped on divergence rather than at the end of its range.
    public private(set) var diverged = false
    private var average = 0.0
    private var lowest = Double.infinity

    /// A sweep of `steps` batches (at least 2) from `startRate` to `endRate`, for the run at `step`.
    public init(
        step: Int, steps: Int, startRate: Double = Self.defaultStartRate, endRate: Double = Self.defaultEndRate
    ) {
        precondition(steps >= 2 && startRate > 0 && endRate > startRate, "a sweep needs 2 steps and rising rates")
        self.step = step
        self.steps = steps
        self.startRate = startRate
        self.endRate = endRate
    }

    public var sweep: LearningRateSweep {
        LearningRateSweep(step: step, steps: steps, startRate: startRate, endRate: endRate)
    }

    /// The rate of the next batch, or nil when the sweep is over: rates rise by the same factor from
    /// `startRate` at the first batch to `endRate` at the last.
    public var nextRate: Double? {
        guard !diverged, probes.count < steps else { return nil }
        return startRate * pow(endRate / startRate, Double(probes.count) / Double(steps - 1))
    }

    /// Records the loss of the batch trained at `nextRate` and returns its probe.
    @discardableResult
    public mutating func record(loss: Float) -> LearningRateProbe {
        guard let rate = nextRate else { preconditionFailure("the sweep is over") }
        let index = probes.count
        average = Self.smoothing * average + (1 - Self.smoothing) * Double(loss)
        let smoothed = average / (1 - pow(Self.smoothing, Double(index + 1)))
        if !smoothed.isFinite || smoothed > Self.divergenceFactor * lowest { diverged = true }
        lowest = min(lowest, smoothed)
        let probe = LearningRateProbe(
            step: step, index: index, learningRate: rate, loss: loss, smoothedLoss: Float(smoothed))
        probes.append(probe)
        return probe
    }

    public var finding: LearningRateFinding {
        let rates = probes.map(\.learningRate), losses = probes.map { Double($0.smoothedLoss) }
        return LearningRateFinding(
            step: step, probes: probes.count, diverged: diverged,
            suggestion: Self.valley(rates: rates, losses: losses, steps: steps),
            steepest: Self.steepest(rates: rates, losses: losses))
    }

    // MARK: Suggestions

    /// fastai's `valley`: the longest stretch over which the smoothed loss keeps falling (the
    /// longest decreasing subsequence), and within it the rate a half of the way down; computed on
    /// the curve without its first tenth of `steps` and its last five points, and cut at the first
    /// loss that is not a number, as fastai does. Nil when nothing is left.
    public static func valley(rates: [Double], losses: [Double], steps: Int) -> Double? {
        let first = steps / 10
        var end = losses.count - 5
        if let bad = losses.firstIndex(where: \.isNaN) { end = min(end, bad) }
        guard end > first else { return nil }
        let curve = Array(losses[first..<end])
        var lengths = [Int](repeating: 1, count: curve.count)
        var (start, last) = (0, 0)
        for i in curve.indices.dropFirst() {
            for j in 0..<i {
                if curve[i] < curve[j] && lengths[i] < lengths[j] + 1 { lengths[i] = lengths[j] + 1 }
                if lengths[last] < lengths[i] {
                    last = i
                    start = last - lengths[last]
                }
            }
        }
        let third = Double(last - start) / 3
        return rates[first + start + Int(third) + Int(third / 2)]
    }

    /// Lightning's `suggestion()`: the rate where the smoothed loss falls fastest, as the minimum
    /// of its gradient with respect to the rate (second-order differences on the uneven grid,
    /// `torch.gradient`), skipping the first 10 points and the last one and any that is not finite.
    /// Nil when fewer than two points are left.
    public static func steepest(rates: [Double], losses: [Double]) -> Double? {
        guard losses.count > 11 else { return nil }
        let kept = (10..<losses.count - 1).filter { losses[$0].isFinite }
        guard kept.count >= 2 else { return nil }
        let x = kept.map { rates[$0] }, y = kept.map { losses[$0] }
        let n = x.count
        var gradient = [Double](repeating: 0, count: n)
        gradient[0] = (y[1] - y[0]) / (x[1] - x[0])
        gradient[n - 1] = (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2])
        for i in 1..<max(1, n - 1) {
            let left = x[i] - x[i - 1], right = x[i + 1] - x[i]
            gradient[i] =
                -right / (left * (left + right)) * y[i - 1] + (right - left) / (left * right) * y[i]
                + left / (right * (left + right)) * y[i + 1]
        }
        let lowest = gradient.indices.min { gradient[$0] < gradient[$1] }!
        return rates[kept[lowest]]
    }
}
