/// Reshapes (N, C, H, W) to (N, C*H*W), as `torch.flatten(x, 1)`; the order of elements is kept.
public final class Flatten: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var summary: String { "Flatten" }
    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape.reduce(1, *)] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        output.resize(to: [input.shape[0], input.itemCount])
        output.data.update(from: input.data, count: input.count)
        inputGradient.resize(to: input.shape)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        inputGradient.data.update(from: outputGradient.data, count: inputGradient.count)
        return inputGradient
    }
}
