/// Stochastic gradient descent with PyTorch's exact rule (`torch.optim.SGD`, dampening 0):
///
///     g = grad + weightDecay * p
///     b = momentum * b + g              (b = g on the first step)
///     g = nesterov ? g + momentum * b : b
///     p = p - lr * g
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Double
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool

    private let parameters: [Parameter]
    private let momentumBuffers: [NamedTensor]

    public init(
        parameters: [Parameter], learningRate: Double, momentum: Float = 0, weightDecay: Float = 0,
        nesterov: Bool = false
    ) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = momentum == 0 ? [] : stateTensors(for: parameters, key: "momentum_buffer")
    }

    /// `<parameter>.momentum_buffer` per parameter when momentum is used (zero before the first
    /// step, which with dampening 0 is the same as PyTorch's absent buffer).
    public var namedState: [NamedTensor] { momentumBuffers }

    public func step() {
        let lr = Float(learningRate), mu = momentum, wd = weightDecay
        for (index, parameter) in parameters.enumerated() {
            let p = parameter.value.data, grad = parameter.gradient.data, count = parameter.value.count
            // One branch-free loop per case, so that each vectorises: at small batches the step
            // over all 62k LeNet parameters costs as much as a layer.
            guard !momentumBuffers.isEmpty else {
                for i in 0..<count { p[i] -= lr * (grad[i] + wd * p[i]) }
                continue
            }
            let buffer = momentumBuffers[index].value.data
            if nesterov {
                for i in 0..<count {
                    let g = grad[i] + wd * p[i]
                    buffer[i] = mu * buffer[i] + g
                    p[i] -= lr * (g + mu * buffer[i])
                }
            } else {
                for i in 0..<count {
                    let g = grad[i] + wd * p[i]
                    buffer[i] = mu * buffer[i] + g
                    p[i] -= lr * buffer[i]
                }
            }
        }
    }
}
