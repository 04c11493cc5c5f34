import Foundation

/// Adam and AdamW with PyTorch's exact rules (`torch.optim.Adam`, `torch.optim.AdamW`, no amsgrad):
///
///     Adam:  g = grad + weightDecay * p          AdamW:  p = p * (1 - lr * weightDecay)
///     m = m + (1 - beta1) * (g - m)
///     v = beta2 * v + (1 - beta2) * g * g
///     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
public final class Adam: Optimizer {
    /// `adam` or `adamw`.
    public let name: String
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// True for AdamW: weight decay shrinks the parameters directly instead of adding to the gradient.
    public let decoupledWeightDecay: Bool

    private let parameters: [Parameter]
    private let firstMoments: [NamedTensor]
    private let secondMoments: [NamedTensor]
    private let steps: [NamedTensor]

    /// PyTorch's defaults: Adam has no weight decay, AdamW 0.01.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double? = nil, decoupledWeightDecay: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay ?? (decoupledWeightDecay ? 0.01 : 0)
        self.decoupledWeightDecay = decoupledWeightDecay
        name = decoupledWeightDecay ? "adamw" : "adam"
        firstMoments = stateTensors(for: parameters, key: "exp_avg")
        secondMoments = stateTensors(for: parameters, key: "exp_avg_sq")
        steps = parameters.map { NamedTensor(name: "\($0.name).step", value: Tensor(shape: [])) }
    }

    /// Per parameter `<name>.exp_avg`, `<name>.exp_avg_sq` and the scalar `<name>.step`.
    public var namedState: [NamedTensor] {
        zip(zip(firstMoments, secondMoments), steps).flatMap { [$0.0, $0.1, $1] }
    }

    public func step() {
        let lr = learningRate
        let decay = Float(weightDecay), shrink = Float(1 - lr * weightDecay)
        let (b1, b2, eps) = (Float(beta1), Float(beta2), Float(epsilon))
        for (index, parameter) in parameters.enumerated() {
            steps[index].value[0] += 1
            let t = Double(steps[index].value[0])
            let stepSize = Float(lr / (1 - pow(beta1, t)))
            let correction2 = Float((1 - pow(beta2, t)).squareRoot())
            let p = parameter.value.data, grad = parameter.gradient.data
            let m = firstMoments[index].value.data, v = secondMoments[index].value.data
            let decoupled = decoupledWeightDecay
            for i in 0..<parameter.value.count {
                var g = grad[i]
                if decay != 0 {
                    if decoupled { p[i] *= shrink } else { g += decay * p[i] }
                }
                m[i] += (1 - b1) * (g - m[i])
                v[i] = b2 * v[i] + (1 - b2) * g * g
                p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2 + eps))
            }
        }
    }
}
