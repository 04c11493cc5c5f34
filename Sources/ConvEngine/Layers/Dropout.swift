/// Inverted dropout, as `torch.nn.Dropout(p)`: in training each element is zeroed with
/// probability p and the rest are scaled by 1 / (1 - p); in evaluation it passes input through.
///
/// The mask comes from the layer's own seeded generator, drawn in element order on one thread,
/// so it does not depend on the thread count.
public final class Dropout: Layer {
    public let probability: Float
    /// The generator the masks come from; save and restore it to resume a run exactly.
    public var generator: RandomGenerator

    private let mask = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var lastForwardWasTraining = false

    public init(probability: Float, generator: RandomGenerator) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        self.generator = generator
    }

    public var summary: String { "Dropout(\(probability))" }
    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        lastForwardWasTraining = training
        guard training else { return input }
        mask.resize(to: input.shape)
        output.resize(to: input.shape)
        let keep = 1 / (1 - probability)
        for i in 0..<mask.count { mask[i] = generator.nextUnit() < probability ? 0 : keep }
        Elementwise.multiply(input.data, mask.data, output.data, count: input.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard lastForwardWasTraining else { return outputGradient }
        inputGradient.resize(to: outputGradient.shape)
        Elementwise.multiply(outputGradient.data, mask.data, inputGradient.data, count: mask.count)
        return inputGradient
    }
}
