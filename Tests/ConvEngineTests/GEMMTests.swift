import ConvEngine
import Testing

@Suite struct GEMMTests {
    /// One product to check: shape, transposes, scalars and padded leading dimensions.
    struct Case: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int
        var transA = false, transB = false
        var alpha: Float = 1, beta: Float = 0
        var pad = 0
        var testDescription: String {
            "\(m)x\(n)x\(k) tA=\(transA) tB=\(transB) alpha=\(alpha) beta=\(beta) pad=\(pad)"
        }
    }

    /// Deterministic pseudo-random fill, so a failure reproduces.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
    }

    /// Operands laid out for `kase`, C filled with `initialC`, and the product computed in Double.
    struct Problem {
        let kase: Case
        let a: [Float], b: [Float]
        let lda: Int, ldb: Int, ldc: Int
        let c0: [Float]

        init(_ kase: Case, initialC: Float? = nil) {
            self.kase = kase
            lda = (kase.transA ? kase.m : kase.k) + kase.pad
            ldb = (kase.transB ? kase.k : kase.n) + kase.pad
            ldc = kase.n + kase.pad
            a = GEMMTests.values((kase.transA ? kase.k : kase.m) * lda, seed: 1)
            b = GEMMTests.values((kase.transB ? kase.n : kase.k) * ldb, seed: 2)
            let count = kase.m * (kase.n + kase.pad)
            c0 = initialC.map { Array(repeating: $0, count: count) } ?? GEMMTests.values(count, seed: 3)
        }

        func run(pool: ThreadPool?) -> [Float] {
            var c = c0
            GEMM.sgemm(
                transA: kase.transA, transB: kase.transB, m: kase.m, n: kase.n, k: kase.k, alpha: kase.alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: kase.beta, c: &c, ldc: ldc, pool: pool)
            return c
        }

        /// Largest difference from the definition, relative to the size of the terms; padding
        /// columns of C must be untouched.
        func worstError(_ c: [Float]) -> Double {
            var worst = 0.0
            for i in 0..<kase.m {
                for j in 0..<ldc {
                    guard j < kase.n else {
                        if c[i * ldc + j].bitPattern != c0[i * ldc + j].bitPattern { return .infinity }
                        continue
                    }
                    var sum = 0.0, magnitude = 0.0
                    for p in 0..<kase.k {
                        let av = Double(kase.transA ? a[p * lda + i] : a[i * lda + p])
                        let bv = Double(kase.transB ? b[j * ldb + p] : b[p * ldb + j])
                        sum += av * bv
                        magnitude += abs(av * bv)
                    }
                    let old = kase.beta == 0 ? 0 : Double(kase.beta) * Double(c0[i * ldc + j])
                    let expected = Double(kase.alpha) * sum + old
                    let scale = abs(Double(kase.alpha)) * magnitude + abs(old) + 1
                    worst = max(worst, abs(Double(c[i * ldc + j]) - expected) / scale)
                }
            }
            return worst
        }
    }

    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 1, 7), (2, 3, 1), (5, 31, 3), (6, 32, 1), (7, 33, 17), (11, 13, 29),
        (12, 64, 256), (13, 65, 257), (6, 2304, 25), (16, 256, 150), (4, 120, 400), (150, 256, 16),
        (16, 150, 2048), (37, 1031, 300), (145, 97, 513), (6, 75, 784), (23, 9, 300), (5, 3, 257),
    ]

    static let cases: [Case] = shapes.flatMap { m, n, k in
        [(false, false), (true, false), (false, true), (true, true)].map { tA, tB in
            Case(m: m, n: n, k: k, transA: tA, transB: tB, alpha: 1, beta: 0, pad: (m + n) % 3)
        }
    }

    @Test(arguments: cases)
    func matchesDefinition(kase: Case) {
        let problem = Problem(kase)
        let worst = problem.worstError(problem.run(pool: nil))
        #expect(worst < 1e-5, "largest relative difference \(worst)")
    }

    @Test(arguments: [(Float(0.5), Float(2)), (-1, 1), (3, -0.25), (1, 1), (0, 0.5), (0, 0)])
    func scalesByAlphaAndBeta(alpha: Float, beta: Float) {
        // The last shape is computed as its transpose (`multiplyTransposed`).
        for (m, n, k, transB) in [(7, 45, 19, false), (64, 300, 700, false), (24, 203, 130, true)] {
            let problem = Problem(
                Case(
                    m: m, n: n, k: k, transA: m > 10 && !transB, transB: transB, alpha: alpha,
                    beta: beta, pad: 1))
            let worst = problem.worstError(problem.run(pool: nil))
            #expect(worst < 1e-5, "\(m)x\(n)x\(k): largest relative difference \(worst)")
        }
    }

    @Test func zeroDepthScalesC() {
        let problem = Problem(Case(m: 3, n: 5, k: 0, alpha: 1, beta: 0.5))
        #expect(problem.run(pool: nil) == problem.c0.map { $0 * 0.5 })
    }

    @Test(arguments: [(6, 40, 9), (70, 600, 300), (16, 150, 4096)])
    func betaZeroIgnoresNaNInC(m: Int, n: Int, k: Int) {
        let problem = Problem(Case(m: m, n: n, k: k, transB: true), initialC: .nan)
        let c = problem.run(pool: ThreadPool(threads: 2))
        #expect(problem.worstError(c) < 1e-5)
        #expect(!c.contains { $0.isNaN })
    }

    /// Shapes that take each way of splitting work: columns, rows, C too small to split well (with
    /// a long k, which is never split), the dot-product kernel and the transposed product (a
    /// convolution's weight gradient, with a partial last tile).
    static let threadedCases: [Case] = [
        Case(m: 32, n: 4096, k: 288, beta: 1), Case(m: 300, n: 40, k: 500, transA: true),
        Case(m: 16, n: 150, k: 8192, transB: true), Case(m: 6, n: 25, k: 18_432, transB: true, beta: 0.5),
        Case(m: 128, n: 1152, k: 600, transB: true), Case(m: 16, n: 150, k: 1024, transB: true, beta: 1),
        Case(m: 32, n: 291, k: 1024, transB: true, beta: 1),
    ]

    @Test(arguments: threadedCases)
    func threadsAgreeAndRepeatBitForBit(kase: Case) {
        let problem = Problem(kase)
        let one = problem.run(pool: ThreadPool(threads: 1))
        let pool = ThreadPool(threads: 2)
        let two = problem.run(pool: pool), again = problem.run(pool: pool)
        #expect(problem.worstError(one) < 1e-5)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern), "1 and 2 threads differ")
        #expect(two.map(\.bitPattern) == again.map(\.bitPattern))
    }

    /// With `rowsAreSamples`, a row of C is the same bits whatever the number of rows: a few rows
    /// (which would take the dot-product kernel), many (the blocked or transposed product), on 1
    /// or 2 threads.
    @Test(arguments: [(300, true), (40, true), (300, false)])
    func rowsOfSamplesComeOutTheSameInAnyBatch(k: Int, transB: Bool) {
        let (n, few, many) = (120, 5, 128)
        let a = GEMMTests.values(many * k, seed: 4), b = GEMMTests.values(k * n, seed: 5)
        func rows(_ m: Int, threads: Int) -> [Float] {
            var c = [Float](repeating: .nan, count: m * n)
            GEMM.sgemm(
                transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: transB ? k : n,
                beta: 0, c: &c, ldc: n, pool: ThreadPool(threads: threads), rowsAreSamples: true)
            return c
        }
        let reference = rows(many, threads: 1)
        for (m, threads) in [(few, 1), (few, 2), (64, 2), (many, 2)] {
            let c = rows(m, threads: threads)
            #expect(
                c.map(\.bitPattern) == reference.prefix(m * n).map(\.bitPattern),
                "\(m) rows on \(threads) threads differ from the same rows of \(many)")
        }
    }

    @Test func kernelNameSaysWhatRuns() {
        #expect(GEMM.kernelName.contains("simd16"))
    }
}
