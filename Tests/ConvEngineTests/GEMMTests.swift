import Testing
import ConvEngine

@Suite struct GEMMTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesDefinition(transA: Bool, transB: Bool) {
        let m = 7, n = 37, k = 13
        var rng = SystemRandomNumberGenerator()
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        let c0 = c
        let lda = transA ? m : k, ldb = transB ? k : n
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                   beta: 2, c: &c, ldc: n)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j])
                }
                worst = max(worst, abs(c[i * n + j] - (0.5 * sum + 2 * c0[i * n + j])))
            }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }
}
