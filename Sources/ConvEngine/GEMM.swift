/// Single-precision matrix multiply on row-major matrices:
/// `C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C`,
/// where `op(X)` is `X` or its transpose; `lda`, `ldb`, `ldc` are row strides in elements.
public enum GEMM {
    /// The kernel in use, as shown by `convtop bench` and the dashboard.
    public static let kernelName = "reference"

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = nil) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += av * bv
                }
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}
