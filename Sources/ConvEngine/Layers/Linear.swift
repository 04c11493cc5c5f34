/// Fully connected layer, as `torch.nn.Linear`.
///
/// input (N, I) or (N, ...) with I elements per sample, weight (O, I), bias (O), output (N, O).
/// Batches of up to `rowLimit` rows skip GEMM: each row is a matrix-vector product with the
/// weight read in place, where GEMM would repack the whole weight for a handful of rows.
public final class Linear: Layer {
    static let rowLimit = 8

    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    /// The operands' format in the batch products (the matrix-vector path of small batches stays fp32).
    public var precision = Precision.fp32

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
        if n <= Self.rowLimit {
            for r in 0..<n {
                Self.multiply(
                    weight.value.data, rows: outFeatures, columns: inFeatures, input.data + r * inFeatures,
                    bias: bias.value.data, into: output.data + r * outFeatures)
            }
            return output
        }
        // out (N, O) = x (N, I) x weight^T (I, O)
        GEMM.multiply(
            precision, transA: false, transB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1,
            a: input.data, lda: inFeatures, b: weight.value.data, ldb: inFeatures,
            beta: 0, c: output.data, ldc: outFeatures, pool: pool)
        Elementwise.addColumnBias(output.data, rows: n, columns: outFeatures, bias: bias.value.data)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("Linear.backward before forward") }
        let n = input.shape[0]
        inputGradient.resize(to: input.shape)
        if n <= Self.rowLimit {
            let (dy, x, dx, w) = (outputGradient.data, input.data, inputGradient.data, weight.value.data)
            let (dw, db) = (weight.gradient.data, bias.gradient.data)
            dx.update(repeating: 0, count: n * inFeatures)
            for r in 0..<n {
                for o in 0..<outFeatures {
                    let g = dy[r * outFeatures + o]
                    db[o] += g
                    // dweight[o] += dy[r, o] * x[r];  dx[r] += dy[r, o] * weight[o]
                    Self.addScaled(g, x + r * inFeatures, into: dw + o * inFeatures, count: inFeatures)
                    Self.addScaled(g, w + o * inFeatures, into: dx + r * inFeatures, count: inFeatures)
                }
            }
            return inputGradient
        }
        // dweight (O, I) += dy^T (O, N) x x (N, I)
        GEMM.multiply(
            precision, transA: true, transB: false, m: outFeatures, n: inFeatures, k: n, alpha: 1,
            a: outputGradient.data, lda: outFeatures, b: input.data, ldb: inFeatures,
            beta: 1, c: weight.gradient.data, ldc: inFeatures, pool: pool)
        Elementwise.accumulateColumnSums(outputGradient.data, rows: n, columns: outFeatures, into: bias.gradient.data)
        // dx (N, I) = dy (N, O) x weight (O, I)
        GEMM.multiply(
            precision, transA: false, transB: false, m: n, n: inFeatures, k: outFeatures, alpha: 1,
            a: outputGradient.data, lda: outFeatures, b: weight.value.data, ldb: inFeatures,
            beta: 0, c: inputGradient.data, ldc: inFeatures, pool: pool)
        return inputGradient
    }

    /// y (rows) = matrix (rows, columns) x x (columns) + bias.
    static func multiply(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, _ x: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        let vectors = columns / 16
        for o in 0..<rows {
            let row = matrix + o * columns
            var sum = SIMD16<Float>()
            for v in 0..<vectors {
                sum.addProduct(SIMD16.load(row + 16 * v), SIMD16.load(x + 16 * v))
            }
            var total = Elementwise.horizontalSum(sum)
            for i in (16 * vectors)..<columns { total += row[i] * x[i] }
            y[o] = total + bias[o]
        }
    }

    /// target += scale * source, over count floats.
    @inline(__always)
    static func addScaled(
        _ scale: Float, _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        for i in 0..<count { target[i] += scale * source[i] }
    }
}
