/// The register-blocked inner kernel of `GEMM`: an 8 x 32 tile of C held in sixteen `SIMD16<Float>`
/// accumulators (AVX-512: 16 of the 32 vector registers, two B loads and eight broadcasts feeding
/// sixteen FMAs per k step). Eight rows divide the channel counts of the presets' convolutions
/// (8 to 128), so their tiles are all full; six rows left a 2-row tile on 32 channels.
enum MicroKernel {
    /// Rows of C per tile; packed A slivers are this many floats wide.
    static let rows = 8
    /// Columns of C per tile; packed B slivers are this many floats wide.
    static let columns = 32

    /// How a tile's result is merged into C.
    struct Update {
        var alpha: Float
        var beta: Float
        /// With beta 0 and C's rows 64-byte aligned: C is written around the caches
        /// (`store(to:streaming:)`).
        var streams = false
    }

    /// `C[0..<m][0..<32] = alpha * (A sliver * B sliver) + beta * C` over `depth` k steps, `m <= 8`.
    ///
    /// `a` is a packed A sliver (`depth` groups of 8 floats, zero past row `m`); `b` holds `depth`
    /// rows of 32 floats, `bStride` floats apart (32 when packed). With `beta == 0` C is never
    /// read, so NaN or garbage in C does not reach the result.
    ///
    /// A packed sliver has its 8 rows side by side (`aRowStride` 1, `aStep` 8); `GEMM` also reads
    /// 8 rows of a row-major matrix in place (`aRowStride` its row stride, `aStep` 1).
    @inline(__always)
    static func tile(
        depth: Int, a: UnsafePointer<Float>, aRowStride: Int = 1, aStep: Int = rows,
        b: UnsafePointer<Float>, bStride: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, m: Int = rows, update: Update
    ) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
        var c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>()
        var c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>()
        var c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        var ap = a, bp = b
        for _ in 0..<depth {
            let b0 = SIMD16.load(bp), b1 = SIMD16.load(bp + 16)
            var av = SIMD16<Float>(repeating: ap[0])
            c00.addProduct(av, b0); c01.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[1 * aRowStride])
            c10.addProduct(av, b0); c11.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[2 * aRowStride])
            c20.addProduct(av, b0); c21.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[3 * aRowStride])
            c30.addProduct(av, b0); c31.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[4 * aRowStride])
            c40.addProduct(av, b0); c41.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[5 * aRowStride])
            c50.addProduct(av, b0); c51.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[6 * aRowStride])
            c60.addProduct(av, b0); c61.addProduct(av, b1)
            av = SIMD16<Float>(repeating: ap[7 * aRowStride])
            c70.addProduct(av, b0); c71.addProduct(av, b1)
            ap += aStep
            bp += bStride
        }
        store(c00, c01, to: c, update: update)
        if m > 1 { store(c10, c11, to: c + ldc, update: update) }
        if m > 2 { store(c20, c21, to: c + 2 * ldc, update: update) }
        if m > 3 { store(c30, c31, to: c + 3 * ldc, update: update) }
        if m > 4 { store(c40, c41, to: c + 4 * ldc, update: update) }
        if m > 5 { store(c50, c51, to: c + 5 * ldc, update: update) }
        if m > 6 { store(c60, c61, to: c + 6 * ldc, update: update) }
        if m > 7 { store(c70, c71, to: c + 7 * ldc, update: update) }
    }

    /// The same tile for a C corner of `m x n` with `n < 32`; the B sliver is zero-padded.
    static func edgeTile(
        depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bStride: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, update: Update
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * columns) { scratch in
            let tileC = scratch.baseAddress!
            tile(
                depth: depth, a: a, b: b, bStride: bStride, c: tileC, ldc: columns,
                update: Update(alpha: update.alpha, beta: 0))
            for i in 0..<m {
                let row = c + i * ldc, tileRow = tileC + i * columns
                if update.beta == 0 {
                    for j in 0..<n { row[j] = tileRow[j] }
                } else {
                    for j in 0..<n { row[j] = update.beta * row[j] + tileRow[j] }
                }
            }
        }
    }

    @inline(__always)
    private static func store(
        _ low: SIMD16<Float>, _ high: SIMD16<Float>, to c: UnsafeMutablePointer<Float>,
        update: Update
    ) {
        var low = low * update.alpha, high = high * update.alpha
        if update.beta != 0 {
            let oldLow = SIMD16.load(c), oldHigh = SIMD16.load(c + 16)
            if update.beta == 1 {
                low += oldLow
                high += oldHigh
            } else {
                low.addProduct(oldLow, SIMD16(repeating: update.beta))
                high.addProduct(oldHigh, SIMD16(repeating: update.beta))
            }
        }
        low.store(to: c, streaming: update.streams)
        high.store(to: c + 16, streaming: update.streams)
    }
}
