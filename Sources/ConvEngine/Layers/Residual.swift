/// A skip connection: output = body(input) + shortcut(input), where an absent shortcut is the
/// identity (ResNet's basic block without the final ReLU; add a `ReLU` after it if wanted).
///
/// Parameter names are the body's names as they are (`conv1.weight`) and the shortcut's under
/// `shortcut.` (`shortcut.0.weight`), so a PyTorch block with those attributes has the same
/// `state_dict` names.
public final class Residual: Layer {
    public let body: Sequential
    public let shortcut: Sequential?

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(body: Sequential, shortcut: Sequential? = nil, pool: ThreadPool) {
        self.body = body
        self.shortcut = shortcut
        self.pool = pool
    }

    public var parameters: [Parameter] {
        body.parameters + (shortcut?.parameters.map { $0.prefixed("shortcut") } ?? [])
    }
    public var buffers: [NamedTensor] { body.buffers + (shortcut?.buffers.map { $0.prefixed("shortcut") } ?? []) }

    public var summary: String {
        "Residual(" + body.layers.map(\.layer.summary).joined(separator: ", ")
            + (shortcut.map { "; shortcut " + $0.layers.map(\.layer.summary).joined(separator: ", ") } ?? "") + ")"
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let shape = body.outputShape(for: inputShape)
        let skipShape = shortcut?.outputShape(for: inputShape) ?? inputShape
        precondition(shape == skipShape, "Residual branches disagree: \(shape) vs \(skipShape)")
        return shape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let branch = body.forward(input, training: training)
        let skip = shortcut?.forward(input, training: training) ?? input
        output.resize(to: branch.shape)
        add(branch, skip, into: output)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let branch = body.backward(outputGradient)
        let skip = shortcut?.backward(outputGradient) ?? outputGradient
        inputGradient.resize(to: branch.shape)
        add(branch, skip, into: inputGradient)
        return inputGradient
    }

    private func add(_ a: Tensor, _ b: Tensor, into sum: Tensor) {
        let (pa, pb, ps) = (a.data, b.data, sum.data)
        pool.forEachChunk(count: sum.count, minimumChunk: 1 << 16) { r in
            Elementwise.addStreaming(pa + r.lowerBound, pb + r.lowerBound, ps + r.lowerBound, count: r.count)
        }
    }
}
