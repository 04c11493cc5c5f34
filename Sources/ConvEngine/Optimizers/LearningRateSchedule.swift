import Foundation

/// A learning rate as a pure function of the step, for steps 0, 1, 2, ... of a run of `totalSteps`.
///
/// The warm-up, when present, multiplies the shaped rate by (step + 1) / warmupSteps for the first
/// `warmupSteps` steps, so it composes with every shape.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        /// The base rate throughout.
        case constant
        /// base * gamma^(step / every), as `torch.optim.lr_scheduler.StepLR`.
        case stepDecay(every: Int, gamma: Double)
        /// From base down to `minimum` along half a cosine over the run, as `CosineAnnealingLR`.
        case cosine(minimum: Double)
        /// As `OneCycleLR` (cosine annealing): from base / divFactor up to base over the first
        /// `warmupFraction` of the run, then down to base / (divFactor * finalDivFactor).
        case oneCycle(warmupFraction: Double, divFactor: Double, finalDivFactor: Double)
    }

    public var base: Double
    public var shape: Shape
    public var totalSteps: Int
    public var warmupSteps: Int

    public init(base: Double, shape: Shape = .constant, totalSteps: Int, warmupSteps: Int = 0) {
        self.base = base
        self.shape = shape
        self.totalSteps = max(1, totalSteps)
        self.warmupSteps = max(0, warmupSteps)
    }

    /// PyTorch's `OneCycleLR` defaults: 30% up, start at base / 25, end at base / 25e4.
    public static func oneCycle(base: Double, totalSteps: Int) -> LearningRateSchedule {
        LearningRateSchedule(
            base: base, shape: .oneCycle(warmupFraction: 0.3, divFactor: 25, finalDivFactor: 1e4),
            totalSteps: totalSteps)
    }

    /// The learning rate to use for step `step` (0-based).
    public func learningRate(at step: Int) -> Double {
        let shaped = shapedRate(at: min(max(step, 0), totalSteps))
        guard warmupSteps > 0, step < warmupSteps else { return shaped }
        return shaped * Double(step + 1) / Double(warmupSteps)
    }

    private func shapedRate(at step: Int) -> Double {
        switch shape {
        case .constant:
            return base
        case .stepDecay(let every, let gamma):
            return base * pow(gamma, Double(step / max(1, every)))
        case .cosine(let minimum):
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(step) / Double(totalSteps))) / 2
        case .oneCycle(let warmupFraction, let divFactor, let finalDivFactor):
            let initial = base / divFactor, final = initial / finalDivFactor
            let peak = max(1, Double(totalSteps) * warmupFraction - 1)
            if Double(step) <= peak {
                return cosineBetween(initial, base, fraction: Double(step) / peak)
            }
            let rest = max(1, Double(totalSteps - 1) - peak)
            return cosineBetween(base, final, fraction: min(1, (Double(step) - peak) / rest))
        }
    }

    private func cosineBetween(_ start: Double, _ end: Double, fraction: Double) -> Double {
        end + (start - end) * (1 + cos(Double.pi * fraction)) / 2
    }
}
