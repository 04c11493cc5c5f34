/// Rectified linear unit: output = max(input, 0), any shape.
public final class ReLU: Layer {
    private let pool: ThreadPool
    /// The latest forward's result; layer health counts its dead units.
    let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(pool: ThreadPool) { self.pool = pool }

    public var summary: String { "ReLU" }
    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        output.resize(to: input.shape)
        let (x, y) = (input.data, output.data)
        pool.forEachChunk(count: input.count, minimumChunk: 1 << 16) { r in
            Elementwise.relu(x + r.lowerBound, y + r.lowerBound, count: r.count)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        inputGradient.resize(to: output.shape)
        let (y, dy, dx) = (output.data, outputGradient.data, inputGradient.data)
        pool.forEachChunk(count: output.count, minimumChunk: 1 << 16) { r in
            Elementwise.reluBackward(y + r.lowerBound, dy + r.lowerBound, dx + r.lowerBound, count: r.count)
        }
        return inputGradient
    }
}
