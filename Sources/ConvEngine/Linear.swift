/// Fully connected layer, as `torch.nn.Linear`.
///
/// input (N, I) or (N, ...) with I elements per sample, weight (O, I), bias (O), output (N, O).
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var input: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, generator: inout RandomGenerator, pool: ThreadPool) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.pool = pool
        weight = Parameter(name: "weight", shape: [outFeatures, inFeatures])
        bias = Parameter(name: "bias", shape: [outFeatures])
        fillUniform(weight.value, fanIn: inFeatures, generator: &generator)
        fillUniform(bias.value, fanIn: inFeatures, generator: &generator)
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var summary: String { "Linear(\(inFeatures)->\(outFeatures))" }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.reduce(1, *) == inFeatures, "Linear expects \(inFeatures) features, got \(inputShape)")
        return [outFeatures]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.shape[0]
        precondition(input.itemCount == inFeatures, "Linear expects \(inFeatures) features, got \(input.shape)")
        self.input = input
        output.resize(to: [n, outFeatures])
        // out (N, O) = x (N, I) x weight^T (I, O)
        GEMM.sgemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1,
                   a: input.data, lda: inFeatures, b: weight.value.data, ldb: inFeatures,
                   beta: 0, c: output.data, ldc: outFeatures, pool: pool)
        Elementwise.addColumnBias(output.data, rows: n, columns: outFeatures, bias: bias.value.data)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("Linear.backward before forward") }
        let n = input.shape[0]
        // dweight (O, I) += dy^T (O, N) x x (N, I)
        GEMM.sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: n, alpha: 1,
                   a: outputGradient.data, lda: outFeatures, b: input.data, ldb: inFeatures,
                   beta: 1, c: weight.gradient.data, ldc: inFeatures, pool: pool)
        Elementwise.accumulateColumnSums(outputGradient.data, rows: n, columns: outFeatures, into: bias.gradient.data)
        // dx (N, I) = dy (N, O) x weight (O, I)
        inputGradient.resize(to: input.shape)
        GEMM.sgemm(transA: false, transB: false, m: n, n: inFeatures, k: outFeatures, alpha: 1,
                   a: outputGradient.data, lda: outFeatures, b: weight.value.data, ldb: inFeatures,
                   beta: 0, c: inputGradient.data, ldc: inFeatures, pool: pool)
        return inputGradient
    }
}
