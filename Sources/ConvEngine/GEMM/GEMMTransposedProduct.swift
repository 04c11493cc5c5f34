extension GEMM {
    /// Whether `C = A * B^T` goes to `multiplyTransposed`: fewer rows of C than columns and a
    /// long k, the shape of convolution weight gradients, `dY (OC, pixels) x col^T`. A must fit
    /// one packed B block.
    static func transposedProductApplies(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> Bool {
        !transA && transB && m >= 16 && m < n && m <= blockColumns && k >= 64
    }

    /// Columns `columns` (all m rows) of `C = alpha * A * B^T + beta * C`, computed as its
    /// transpose `C^T = B * A^T`.
    ///
    /// The blocked product would transpose all of B (n x k) into packed slivers. Here A, the short
    /// operand, is transposed into them instead, and the micro-kernel broadcasts from 8 rows of B
    /// at a time read in place, so B is never copied. C^T collects in the workspace and is added
    /// into C at the end.
    static func multiplyTransposed(
        m: Int, columns: Range<Int>, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, workspace: GEMMWorkspace
    ) {
        let width = MicroKernel.columns, tileRows = MicroKernel.rows
        let slivers = (m + width - 1) / width, ldt = slivers * width
        workspace.reserveTransposed(columns.count * ldt)
        let transposed = workspace.transposed
        let aTransposed = MatrixOperand(base: a, ld: lda, transposed: true)
        let bRows = MatrixOperand(base: b, ld: ldb, transposed: false).transpose
        let depthStep = depthStep(k)
        for pc in stride(from: 0, to: k, by: depthStep) {
            let kc = min(depthStep, k - pc)
            aTransposed.pack(depth: pc..<(pc + kc), columns: 0..<m, width: width, into: workspace.packedB)
            let update = MicroKernel.Update(alpha: 1, beta: pc == 0 ? 0 : 1)
            for i in stride(from: columns.lowerBound, to: columns.upperBound, by: tileRows) {
                let rows = min(tileRows, columns.upperBound - i)
                let target = transposed + (i - columns.lowerBound) * ldt
                if rows < tileRows {
                    // Reading 8 rows in place would run past B: pack the last ones, zero-padded.
                    bRows.pack(
                        depth: pc..<(pc + kc), columns: i..<(i + rows), width: tileRows,
                        into: workspace.packedA)
                }
                for s in 0..<slivers {
                    let sliver = workspace.packedB + s * kc * width
                    if rows == tileRows {
                        MicroKernel.tile(
                            depth: kc, a: b + i * ldb + pc, aRowStride: ldb, aStep: 1, b: sliver,
                            bStride: width, c: target + s * width, ldc: ldt, update: update)
                    } else {
                        MicroKernel.tile(
                            depth: kc, a: workspace.packedA, b: sliver, bStride: width,
                            c: target + s * width, ldc: ldt, m: rows, update: update)
                    }
                }
            }
        }
        for row in 0..<m {
            let cRow = c + row * ldc
            for j in columns {
                let product = alpha * transposed[(j - columns.lowerBound) * ldt + row]
                cRow[j] = beta == 0 ? product : product + beta * cRow[j]
            }
        }
    }
}
