/// A look at every layer of the model at one training step, taken every few steps: how large the
/// weights and gradients are, how far the step moved the weights, and how many ReLU units no image
/// of the batch turned on.
public struct LayerHealth: Sendable, Equatable {
    public var step: Int
    /// Every layer with parameters the optimizer changes (not those `--freeze` keeps fixed), in
    /// `state_dict` order.
    public var layers: [LayerStatistics]
    /// Every ReLU (fused into a batch norm or not), in the order the layers run.
    public var activations: [ActivationStatistics]

    public init(step: Int, layers: [LayerStatistics], activations: [ActivationStatistics]) {
        self.step = step
        self.layers = layers
        self.activations = activations
    }
}

/// One layer's parameters (weight and bias together) at one step.
public struct LayerStatistics: Sendable, Equatable {
    /// The layer's `state_dict` prefix, such as `res1.conv2`.
    public var name: String
    /// The L2 norm of the layer's parameters before the step.
    public var weightNorm: Double
    /// The L2 norm of the gradient the step used.
    public var gradientNorm: Double
    /// The L2 norm of the step's change to the parameters over `weightNorm`.
    public var updateRatio: Double

    public init(name: String, weightNorm: Double, gradientNorm: Double, updateRatio: Double) {
        self.name = name
        self.weightNorm = weightNorm
        self.gradientNorm = gradientNorm
        self.updateRatio = updateRatio
    }

    /// Below this update/weight ratio a layer has stopped learning. Healthy layers move by about
    /// 1e-3 of their norm per step (Karpathy's rule of thumb, CS231n); a hundredth of that, held
    /// over thousands of steps, changes the layer by less than its own rounding noise.
    public static let stalledRatio = 1e-5
    /// Above this ratio a layer explodes: a step that changes the weights by a tenth of their norm
    /// undoes what the layer learned, a few such steps in a row and the loss diverges.
    public static let explodingRatio = 1e-1

    public var condition: LayerCondition {
        if !weightNorm.isFinite || !gradientNorm.isFinite || !updateRatio.isFinite || updateRatio > Self.explodingRatio
        {
            return .exploding
        }
        return updateRatio < Self.stalledRatio ? .stalled : .learning
    }
}

/// How a layer's training goes, from its update/weight ratio.
public enum LayerCondition: String, Sendable, Equatable {
    case learning
    /// Its updates are too small to change it (a learning rate near zero, vanishing gradients).
    case stalled
    /// Its updates are a large part of its weights, or its numbers are no longer finite.
    case exploding
}

/// One ReLU at one step.
public struct ActivationStatistics: Sendable, Equatable {
    /// The ReLU's name, or for a ReLU fused into a batch norm the batch norm's.
    public var name: String
    /// The fraction of its units that were zero for every image of the batch.
    public var deadFraction: Float

    public init(name: String, deadFraction: Float) {
        self.name = name
        self.deadFraction = deadFraction
    }
}
