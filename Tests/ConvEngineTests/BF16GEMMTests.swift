import ConvEngine
import Testing

/// bf16 keeps 8 significant bits, so rounding an operand to nearest changes it by at most a
/// relative `unitRoundoff` = 2^-8; the product of two rounded operands is exact in fp32 (16
/// significant bits), so each product is off by at most (2u + u^2) |a||b|. Summing k products in
/// fp32 adds at most about k * 2^-24 * sum|a||b| (recursive summation), and alpha, beta and the
/// final addition of beta * C one rounding each. The tests assert that worst-case bound, computed
/// from each element's own sum|a_ip||b_pj|.
enum BF16Bound {
    static let unitRoundoff = 0x1p-8
    static let fp32Roundoff = 0x1p-24

    /// The largest error a bf16 product of `k` terms whose magnitudes sum to `magnitude` may have.
    static func productError(k: Int, magnitude: Double) -> Double {
        (2 * unitRoundoff + unitRoundoff * unitRoundoff + Double(k + 3) * fp32Roundoff) * magnitude
    }
}

@Suite(.enabled(if: BF16GEMM.isSupported, "this CPU has no AVX512-BF16"))
struct BF16GEMMTests {
    /// Round to nearest even on the fp32 bit pattern, the definition the hardware conversion follows
    /// for normal numbers.
    static func roundedToBF16(_ x: Float) -> Float {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }

    @Test func conversionRoundsToNearestEven() {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and goes to the even 1; 1 + 3 * 2^-8 is
        // halfway between 1 + 2^-7 and 1 + 2^-6 and goes to the even 1 + 2^-6; just above and
        // below a halfway point round to the nearer neighbour. The count (45) leaves a tail past
        // the 32-wide vector loop.
        var values: [Float] = [
            1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, 1 + 0x1p-8 - 0x1p-20, -3.14159, 65504,
            0, -0.0, 1e-30, 123456.789,
        ]
        values += GEMMTests.values(35, seed: 9).map { $0 * 1000 }
        let converted = BF16GEMM.rounded(values)
        #expect(converted[0] == 1)
        #expect(converted[1] == 1 + 0x1p-6)
        #expect(converted[2] == 1 + 0x1p-7)
        #expect(converted[3] == 1)
        for (x, y) in zip(values, converted) {
            #expect(y.bitPattern == Self.roundedToBF16(x).bitPattern, "\(x) converted to \(y)")
        }
    }

    static let cases: [GEMMTests.Case] = [
        .init(m: 1, n: 1, k: 1),
        .init(m: 7, n: 33, k: 5),
        .init(m: 9, n: 31, k: 3, transA: true),
        .init(m: 17, n: 47, k: 38, transB: true, alpha: 0.5, beta: -1.5, pad: 3),
        .init(m: 13, n: 65, k: 515, transA: true, transB: true, beta: 1),
        .init(m: 64, n: 300, k: 600, alpha: 2, beta: 0.25, pad: 1),
        .init(m: 300, n: 40, k: 77, transB: true),
        .init(m: 33, n: 129, k: 1, transA: true, beta: 1, pad: 2),
    ]

    @Test(arguments: cases)
    func productsAreWithinTheBF16Bound(_ kase: GEMMTests.Case) {
        let problem = GEMMTests.Problem(kase)
        let c = problem.runBF16(pool: nil)
        let (m, n, k) = (kase.m, kase.n, kase.k)
        var worst = 0.0, worstLocation = ""
        for i in 0..<m {
            for j in 0..<problem.ldc {
                let index = i * problem.ldc + j
                guard j < n else {
                    #expect(c[index].bitPattern == problem.c0[index].bitPattern, "padding of C written at \(i), \(j)")
                    continue
                }
                var exact = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let term = Double(problem.opA(i, p)) * Double(problem.opB(p, j))
                    exact += term
                    magnitude += abs(term)
                }
                let initial = Double(problem.c0[index]) * Double(kase.beta)
                let expected = Double(kase.alpha) * exact + initial
                let bound =
                    BF16Bound.productError(k: k, magnitude: abs(Double(kase.alpha)) * magnitude)
                    + 2 * BF16Bound.fp32Roundoff * (abs(expected) + abs(initial))
                let error = abs(Double(c[index]) - expected)
                #expect(error <= bound, "C[\(i)][\(j)] = \(c[index]), exact \(expected), bound \(bound)")
                if error / max(bound, .leastNormalMagnitude) > worst {
                    (worst, worstLocation) = (error / bound, "C[\(i)][\(j)]")
                }
            }
        }
        #expect(worst <= 1, "worst error / bound \(worst) at \(worstLocation)")
    }

    /// Tiles are split between threads by whole panels, so every element has one writer and the
    /// same arithmetic on any thread count.
    @Test(arguments: [cases[5], cases[6]])
    func threadsGiveBitIdenticalResults(_ kase: GEMMTests.Case) {
        let problem = GEMMTests.Problem(kase)
        let serial = problem.runBF16(pool: nil)
        let parallel = problem.runBF16(pool: ThreadPool(threads: 2))
        #expect(serial.map(\.bitPattern) == parallel.map(\.bitPattern))
    }

    /// The products differ from fp32's (the operands really are rounded), and by the bound only.
    @Test func bf16DiffersFromFP32() {
        let problem = GEMMTests.Problem(Self.cases[5])
        #expect(problem.runBF16(pool: nil) != problem.run(pool: nil))
    }
}

extension GEMMTests.Problem {
    func opA(_ i: Int, _ p: Int) -> Float { kase.transA ? a[p * lda + i] : a[i * lda + p] }
    func opB(_ p: Int, _ j: Int) -> Float { kase.transB ? b[j * ldb + p] : b[p * ldb + j] }

    func runBF16(pool: ThreadPool?) -> [Float] {
        var c = c0
        BF16GEMM.gemm(
            transA: kase.transA, transB: kase.transB, m: kase.m, n: kase.n, k: kase.k, alpha: kase.alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: kase.beta, c: &c, ldc: ldc, pool: pool)
        return c
    }
}

extension BF16GEMMTests {
    @Test func betaZeroIgnoresNaNInC() {
        let problem = GEMMTests.Problem(.init(m: 10, n: 40, k: 9), initialC: .nan)
        #expect(problem.runBF16(pool: nil).allSatisfy { !$0.isNaN })
    }
}
