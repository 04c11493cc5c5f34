import CBF16Kernels

/// The number format of the operands of the convolution and linear products.
///
/// `bf16` is what PyTorch's CPU autocast does: operands are rounded to bf16 (8 bits of mantissa)
/// and multiplied on AVX512-BF16's dot-product units, while products accumulate in fp32 and the
/// weights, gradients, optimizer state and batch-norm statistics stay fp32. It applies to 3x3
/// "same" convolutions on CPUs with AMX (`BF16DirectConv`, all three passes on bf16 tiles) and,
/// without AMX, to the element-wise products of the Winograd ones (`WinogradConv`), to the
/// im2col + GEMM convolutions (`Im2colConv`, which also computes the weight gradient of the
/// implicit-GEMM layers) and to `Linear`; the direct (5x5), small-plane and implicit-GEMM forward
/// kernels stay fp32.
public enum Precision: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case fp32
    case bf16

    public var description: String { rawValue }

    /// Whether this CPU runs the precision's kernels: bf16 needs AVX512-BF16 (`vdpbf16ps`).
    public var isSupported: Bool {
        switch self {
        case .fp32: true
        case .bf16: BF16GEMM.isSupported
        }
    }

    /// The precision that runs when this one is asked for: fp32 in place of an unsupported bf16.
    public var available: Precision { isSupported ? self : .fp32 }

    /// Why `available` differs from this precision, for the user; nil when it does not.
    public var unavailableReason: String? {
        isSupported ? nil : "this CPU has no AVX512-BF16 (vdpbf16ps); --precision \(rawValue) runs in fp32"
    }
}

extension GEMM {
    /// `sgemm`'s product with its operands in `precision`: `BF16GEMM` for bf16 on a CPU that runs
    /// it, `sgemm` otherwise. `rowsAreSamples` applies to fp32 (see `GEMM`).
    static func multiply(
        _ precision: Precision, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = nil,
        rowsAreSamples: Bool = false
    ) {
        if precision.available == .bf16 {
            BF16GEMM.gemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool)
        } else {
            sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c, ldc: ldc, pool: pool, rowsAreSamples: rowsAreSamples)
        }
    }
}
