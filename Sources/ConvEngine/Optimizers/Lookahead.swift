import Foundation

/// airbench's lookahead around another optimizer: every `interval` steps the model's parameters
/// and batch-norm statistics are folded into a running average and then set to it,
///
///     a = decay * a + (1 - decay) * p;  p = a
///     decay = 0.95^5 * (t / totalSteps)^3   (t counts the steps taken)
///
/// the average starting as the weights before the first step. So the average follows the weights
/// closely early on and smooths over the last epochs, when the learning rate is small and the
/// weights wander around a minimum. `num_batches_tracked` is a count, not a weight, and is left alone.
public final class Lookahead: Optimizer {
    public let inner: any Optimizer
    /// Steps between updates of the average (airbench: 5).
    public let interval: Int
    /// The run's length in steps, which the decay's cubic ramp is measured against.
    public let totalSteps: Int

    private let tensors: [NamedTensor]
    private let averages: [NamedTensor]
    private let steps = NamedTensor(name: "lookahead.step", value: Tensor(shape: []))

    /// The decay at the end of the run: airbench's 0.95 per step over an interval of 5.
    static let finalDecay = pow(0.95, 5.0)

    /// `tensors` are the parameters `inner` updates and the model's buffers (a frozen parameter
    /// left out stays exactly as it is).
    public init(wrapping inner: any Optimizer, tensors: [NamedTensor], interval: Int = 5, totalSteps: Int) {
        precondition(interval > 0 && totalSteps > 0, "lookahead needs a positive interval and run length")
        self.inner = inner
        self.interval = interval
        self.totalSteps = totalSteps
        self.tensors = tensors.filter { !NamedTensor.isCount($0.name) }
        averages = self.tensors.map { NamedTensor(name: "\($0.name).lookahead", value: Tensor(shape: $0.value.shape)) }
    }

    /// The inner optimizer's: a checkpoint names the update rule, and the lookahead tensors say the rest.
    public var name: String { inner.name }

    public var learningRate: Double {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }

    /// The inner optimizer's state, then `<tensor>.lookahead` per averaged tensor and the scalar
    /// `lookahead.step`.
    public var namedState: [NamedTensor] { inner.namedState + averages + [steps] }

    /// The decay of the update after `step` steps.
    public func decay(afterStep step: Int) -> Float {
        Float(Self.finalDecay * pow(min(1, Double(step) / Double(totalSteps)), 3))
    }

    public func step() {
        // airbench's average starts as the weights the run starts from, which are only known here:
        // weights taken from another run or a checkpoint are loaded after the optimizer is made.
        if steps.value[0] == 0 {
            for (tensor, average) in zip(tensors, averages) { average.value.copy(from: tensor.value) }
        }
        inner.step()
        steps.value[0] += 1
        let step = Int(steps.value[0])
        guard step % interval == 0 else { return }
        let keep = decay(afterStep: step), take = 1 - keep
        for (tensor, average) in zip(tensors, averages) {
            let p = tensor.value.data, a = average.value.data
            for i in 0..<tensor.value.count {
                a[i] = keep * a[i] + take * p[i]
                p[i] = a[i]
            }
        }
    }
}
