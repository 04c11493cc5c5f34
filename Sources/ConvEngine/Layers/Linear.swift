/// Fully connected layer, as `torch.nn.Linear`.
///
/// input (N, I) or (N, ...) with I elements per sample, weight (O, I), bias (O), output (N, O).
/// Each sample's output and input gradient are the same in any batch; the weight and bias
/// gradients are summed over the batch in `BatchSummation`'s order.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    /// The operands' format in the batch products.
    public var precision = Precision.fp32

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Per leaf of the batch: its weight gradient (O, I), then its bias gradient (O).
    private let partialGradients = Tensor(shape: [0])
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
        GEMM.multiply(
            precision, transA: false, transB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1,
            a: input.data, lda: inFeatures, b: weight.value.data, ldb: inFeatures,
            beta: 0, c: output.data, ldc: outFeatures, pool: pool, rowsAreSamples: true)
        Elementwise.addColumnBias(output.data, rows: n, columns: outFeatures, bias: bias.value.data)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("Linear.backward before forward") }
        let n = input.shape[0]
        inputGradient.resize(to: input.shape)
        let (o, i, precision) = (outFeatures, inFeatures, precision)
        let (dy, x) = (UnsafePointer(outputGradient.data), UnsafePointer(input.data))
        let summation = BatchSummation(samples: n), size = o * i + o
        partialGradients.resize(to: [summation.leaves.count, size])
        let partials = partialGradients.data
        summation.forEachLeaf(on: pool) { _, leaf, rows in
            let dw = partials + leaf * size, db = dw + o * i
            // dweight (O, I) = dy^T (O, rows) x x (rows, I)
            GEMM.multiply(
                precision, transA: true, transB: false, m: o, n: i, k: rows.count, alpha: 1,
                a: dy + rows.lowerBound * o, lda: o, b: x + rows.lowerBound * i, ldb: i,
                beta: 0, c: dw, ldc: i)
            db.update(repeating: 0, count: o)
            Elementwise.accumulateColumnSums(dy + rows.lowerBound * o, rows: rows.count, columns: o, into: db)
        }
        summation.accumulate(partials, stride: size, count: o * i, into: weight.gradient.data, pool: pool)
        summation.accumulate(partials + o * i, stride: size, count: o, into: bias.gradient.data, pool: pool)
        // dx (N, I) = dy (N, O) x weight (O, I)
        GEMM.multiply(
            precision, transA: false, transB: false, m: n, n: i, k: o, alpha: 1,
            a: dy, lda: o, b: weight.value.data, ldb: i,
            beta: 0, c: inputGradient.data, ldc: i, pool: pool, rowsAreSamples: true)
        return inputGradient
    }
}
