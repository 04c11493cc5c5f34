/// `C = alpha * A * B^T + beta * C` with A (m x k) and B (n x k) both row-major, as dot products
/// along k: the shape of convolution weight gradients, `dY (OC, pixels) x col^T`.
///
/// The outer-product kernel would first have to transpose all of B (n x k) for only m rows of
/// reuse; with few rows (LeNet's 6 and 16 channels) that transpose costs more than the
/// arithmetic. Here a 3 x 4 block of C keeps twelve `SIMD16<Float>` partial sums over k, reading
/// three rows of A and four of B once per 16 k, and reduces them across lanes at the end.
enum DotKernel {
    /// Worth it while A is short and k long: each element of C ends with a reduction across
    /// lanes, which only long dot products amortise (measured: from about k = 256).
    static func applies(transA: Bool, transB: Bool, m: Int, k: Int) -> Bool {
        !transA && transB && m <= 24 && k >= 256
    }

    /// Computes columns `columns` of C (all m rows).
    static func multiply(
        m: Int, columns: Range<Int>, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let update = MicroKernel.Update(alpha: alpha, beta: beta)
        var j = columns.lowerBound
        while j + 4 <= columns.upperBound {
            var i = 0
            while i + 3 <= m {
                block3x4(
                    k: k, a: a + i * lda, lda: lda, b: b + j * ldb, ldb: ldb, c: c + i * ldc + j, ldc: ldc,
                    update: update)
                i += 3
            }
            for row in i..<m {
                for column in j..<(j + 4) {
                    single(k: k, a: a + row * lda, b: b + column * ldb, c: c + row * ldc + column, update: update)
                }
            }
            j += 4
        }
        for column in j..<columns.upperBound {
            for row in 0..<m {
                single(k: k, a: a + row * lda, b: b + column * ldb, c: c + row * ldc + column, update: update)
            }
        }
    }

    @inline(__always)
    private static func merge(_ sum: Float, into c: UnsafeMutablePointer<Float>, update: MicroKernel.Update) {
        c.pointee = update.beta == 0 ? update.alpha * sum : update.alpha * sum + update.beta * c.pointee
    }

    private static func block3x4(
        k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, update: MicroKernel.Update
    ) {
        var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s02 = SIMD16<Float>(), s03 = SIMD16<Float>()
        var s10 = SIMD16<Float>(), s11 = SIMD16<Float>(), s12 = SIMD16<Float>(), s13 = SIMD16<Float>()
        var s20 = SIMD16<Float>(), s21 = SIMD16<Float>(), s22 = SIMD16<Float>(), s23 = SIMD16<Float>()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda
        let b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb
        var p = 0
        while p + 16 <= k {
            let x0 = SIMD16.load(a0 + p), x1 = SIMD16.load(a1 + p), x2 = SIMD16.load(a2 + p)
            var y = SIMD16.load(b0 + p)
            s00.addProduct(x0, y); s10.addProduct(x1, y); s20.addProduct(x2, y)
            y = SIMD16.load(b1 + p)
            s01.addProduct(x0, y); s11.addProduct(x1, y); s21.addProduct(x2, y)
            y = SIMD16.load(b2 + p)
            s02.addProduct(x0, y); s12.addProduct(x1, y); s22.addProduct(x2, y)
            y = SIMD16.load(b3 + p)
            s03.addProduct(x0, y); s13.addProduct(x1, y); s23.addProduct(x2, y)
            p += 16
        }
        finish(s00, a0, b0, from: p, k: k, c: c, update: update)
        finish(s01, a0, b1, from: p, k: k, c: c + 1, update: update)
        finish(s02, a0, b2, from: p, k: k, c: c + 2, update: update)
        finish(s03, a0, b3, from: p, k: k, c: c + 3, update: update)
        finish(s10, a1, b0, from: p, k: k, c: c + ldc, update: update)
        finish(s11, a1, b1, from: p, k: k, c: c + ldc + 1, update: update)
        finish(s12, a1, b2, from: p, k: k, c: c + ldc + 2, update: update)
        finish(s13, a1, b3, from: p, k: k, c: c + ldc + 3, update: update)
        finish(s20, a2, b0, from: p, k: k, c: c + 2 * ldc, update: update)
        finish(s21, a2, b1, from: p, k: k, c: c + 2 * ldc + 1, update: update)
        finish(s22, a2, b2, from: p, k: k, c: c + 2 * ldc + 2, update: update)
        finish(s23, a2, b3, from: p, k: k, c: c + 2 * ldc + 3, update: update)
    }

    /// Reduces a vector of partial sums, adds the products of the last `k - p` (< 16) elements,
    /// and merges the dot product into C.
    @inline(__always)
    private static func finish(
        _ partial: SIMD16<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        from p: Int, k: Int, c: UnsafeMutablePointer<Float>, update: MicroKernel.Update
    ) {
        var total = partial.sum()
        for q in p..<k { total += a[q] * b[q] }
        merge(total, into: c, update: update)
    }

    /// One element of C: a dot product of a row of A and a row of B.
    private static func single(
        k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, update: MicroKernel.Update
    ) {
        var sum = SIMD16<Float>()
        var p = 0
        while p + 16 <= k {
            sum.addProduct(SIMD16.load(a + p), SIMD16.load(b + p))
            p += 16
        }
        finish(sum, a, b, from: p, k: k, c: c, update: update)
    }
}
