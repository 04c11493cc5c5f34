/// Global average pooling: (N, C, H, W) -> (N, C), the mean of each plane, as `x.mean((2, 3))`.
public final class GlobalAvgPool: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var summary: String { "GlobalAvgPool" }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 3, "GlobalAvgPool expects (C, H, W) inputs, got \(inputShape)")
        return [inputShape[0]]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let planes = input.shape[0] * input.shape[1], plane = input.shape[2] * input.shape[3]
        output.resize(to: [input.shape[0], input.shape[1]])
        inputGradient.resize(to: input.shape)
        output.fill(0)
        Elementwise.accumulateRowSums(input.data, rows: planes, columns: plane, into: output.data)
        let scale = 1 / Float(plane)
        for i in 0..<planes { output[i] *= scale }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let planes = inputGradient.shape[0] * inputGradient.shape[1]
        let plane = inputGradient.shape[2] * inputGradient.shape[3], scale = 1 / Float(plane)
        for p in 0..<planes {
            (inputGradient.data + p * plane).update(repeating: outputGradient[p] * scale, count: plane)
        }
        return inputGradient
    }
}
