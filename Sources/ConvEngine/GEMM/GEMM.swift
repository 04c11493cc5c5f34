/// Single-precision matrix multiply on row-major matrices:
/// `C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C`,
/// where `op(X)` is `X` or its transpose; `lda`, `ldb`, `ldc` are row strides in elements.
///
/// Blocked like BLIS: a `blockDepth` x `blockColumns` block of op(B) and a `blockRows` x
/// `blockDepth` block of op(A) are packed into slivers (transposes are absorbed by the packing),
/// then `MicroKernel` computes 8 x 32 tiles of C from them. With a pool, the tiles of C are split
/// between threads by columns or rows, so every element of C is written by one thread and results
/// are bit-identical for any thread count. `A * B^T` with few rows and a long k (weight gradients
/// of thin convolutions) goes to `DotKernel` instead, which needs no transposed copy of B.
///
/// When the rows of A are a batch's samples (`rowsAreSamples`), each row of C must come out the
/// same however many rows there are, so that a sample's result does not depend on its batch (see
/// `BatchSummation`): such products always sum over k in the micro-kernel's order, never in the
/// dot-product kernel's lanes, which only a few rows would choose.
public enum GEMM {
    /// The kernel in use, as `convtop bench` shows it: the micro-kernel's tile and the vector
    /// extension its `SIMD16<Float>` arithmetic runs on. The engine is built with `-target-cpu
    /// native`, for the CPU that builds it, so this names the widest extension the CPU running it
    /// reports, which is the build's when the two are the same machine.
    public static let kernelName = "swift-simd16 \(MicroKernel.rows)x\(MicroKernel.columns) \(VectorExtension.host)"

    /// Depth of a packed block: a 32-float B sliver of this depth (32 KiB) stays in L1.
    static let blockDepth = 256
    /// Rows of a packed A block (a multiple of the tile rows); with `blockDepth` it fits in L2.
    static let blockRows = 144
    /// Columns of a packed B block (a multiple of the tile columns); 1 MiB, kept in L2.
    static let blockColumns = 1024

    /// The length of each of the equal depth blocks that `depth` steps of k are cut into: 288 as
    /// 144 + 144 rather than 256 + 32, whose short second block would pay a whole pass of C loads
    /// and stores for little arithmetic.
    static func depthStep(_ depth: Int) -> Int {
        let blocks = max(1, (depth + blockDepth - 1) / blockDepth)
        return max(1, (depth + blocks - 1) / blocks)
    }

    /// Up to this many rows of C, a row-major B is read in place instead of packed.
    static let directBRowLimit = 64

    /// Problems below this many multiply-adds run on the calling thread alone: LeNet's fc2 at
    /// batch 32 (32 x 84 x 120, 322k) took 13-15 microseconds forward on two threads against
    /// 9-14 on one; fc1 (1.5M) about broke even.
    static let parallelThreshold = 1 << 20

    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = nil,
        rowsAreSamples: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        let opA = MatrixOperand(base: a, ld: lda, transposed: transA)
        let opB = MatrixOperand(base: b, ld: ldb, transposed: transB)
        if k == 0 || alpha == 0 {
            scale(c, ldc: ldc, rows: 0..<m, columns: 0..<n, by: beta)
            return
        }
        let threads = m * n * k >= parallelThreshold ? (pool?.threadCount ?? 1) : 1
        if !rowsAreSamples && DotKernel.applies(transA: transA, transB: transB, m: m, k: k) {
            // Column blocks of C are independent; a multiple of 4 keeps the 3 x 4 blocks whole.
            let tasks = min(threads, max(1, n / 16))
            let perTask = ((n + tasks - 1) / tasks + 3) & ~3
            let columns = { (t: Int) in min(n, t * perTask)..<min(n, (t + 1) * perTask) }
            if tasks == 1 {
                DotKernel.multiply(
                    m: m, columns: 0..<n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
            } else {
                pool?.run(tasks: tasks) { t in
                    DotKernel.multiply(
                        m: m, columns: columns(t), k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc)
                }
            }
            return
        }
        if transposedProductApplies(transA: transA, transB: transB, m: m, n: n, k: k) {
            // Tasks take whole 8-column tiles of C, so every element has one writer.
            let tiles = (n + MicroKernel.rows - 1) / MicroKernel.rows
            let tasks = min(threads, tiles)
            GEMMWorkspace.withWorkspaces(count: tasks) { workspaces in
                let body = { (t: Int) in
                    let part = ThreadPool.chunk(t, of: tasks, count: tiles)
                    let columns =
                        min(n, part.lowerBound * MicroKernel.rows)..<min(n, part.upperBound * MicroKernel.rows)
                    multiplyTransposed(
                        m: m, columns: columns, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc, workspace: workspaces[t])
                }
                if tasks == 1 { body(0) } else { pool?.run(tasks: tasks, body) }
            }
            return
        }
        let split = Split(m: m, n: n, threads: threads)
        guard split.tasks > 1, let pool else {
            GEMMWorkspace.withWorkspace { workspace in
                multiply(
                    opA, opB, rows: 0..<m, columns: 0..<n, depth: 0..<k, alpha: alpha, beta: beta,
                    c: c, ldc: ldc, workspace: workspace)
            }
            return
        }
        GEMMWorkspace.withWorkspaces(count: split.tasks) { workspaces in
            pool.run(tasks: split.tasks) { t in
                let part = split.part(t)
                multiply(
                    opA, opB, rows: split.dimension == .rows ? part : 0..<m,
                    columns: split.dimension == .columns ? part : 0..<n, depth: 0..<k, alpha: alpha, beta: beta,
                    c: c, ldc: ldc, workspace: workspaces[t])
            }
        }
    }

    /// The single-threaded blocked product for one rectangle of C over one range of k.
    private static func multiply(
        _ opA: MatrixOperand, _ opB: MatrixOperand, rows: Range<Int>, columns: Range<Int>,
        depth: Range<Int>, alpha: Float, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int, workspace: GEMMWorkspace
    ) {
        let tileRows = MicroKernel.rows, tileColumns = MicroKernel.columns
        let aSlivers = opA.transpose
        // With few rows of C each B sliver is used only a few times, so copying B costs as much as
        // the arithmetic: read whole slivers of a row-major B in place and pack only the last,
        // partial one. Many rows reuse each sliver often enough for packing to pay.
        let packsB = opB.transposed || rows.count > directBRowLimit
        let depthStep = depthStep(depth.count)
        for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: blockColumns) {
            let nc = min(blockColumns, columns.upperBound - jc)
            for pc in stride(from: depth.lowerBound, to: depth.upperBound, by: depthStep) {
                let kc = min(depthStep, depth.upperBound - pc)
                let update = MicroKernel.Update(alpha: alpha, beta: pc == depth.lowerBound ? beta : 1)
                let directColumns = packsB ? 0 : nc - nc % tileColumns
                opB.pack(
                    depth: pc..<(pc + kc), columns: (jc + directColumns)..<(jc + nc), width: tileColumns,
                    into: workspace.packedB)
                for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
                    let mc = min(blockRows, rows.upperBound - ic)
                    aSlivers.pack(
                        depth: pc..<(pc + kc), columns: ic..<(ic + mc), width: tileRows,
                        into: workspace.packedA)
                    for jr in stride(from: 0, to: nc, by: tileColumns) {
                        let bSliver: UnsafePointer<Float>, bStride: Int
                        if jr < directColumns {
                            (bSliver, bStride) = (opB.base + pc * opB.ld + jc + jr, opB.ld)
                        } else {
                            (bSliver, bStride) = (
                                UnsafePointer(workspace.packedB + (jr - directColumns) * kc), tileColumns
                            )
                        }
                        let nr = min(tileColumns, nc - jr)
                        for ir in stride(from: 0, to: mc, by: tileRows) {
                            let aSliver = workspace.packedA + ir * kc
                            let mr = min(tileRows, mc - ir)
                            let cTile = c + (ic + ir) * ldc + jc + jr
                            if nr == tileColumns {
                                MicroKernel.tile(
                                    depth: kc, a: aSliver, b: bSliver, bStride: bStride,
                                    c: cTile, ldc: ldc, m: mr, update: update)
                            } else {
                                MicroKernel.edgeTile(
                                    depth: kc, a: aSliver, b: bSliver, bStride: bStride,
                                    c: cTile, ldc: ldc, m: mr, n: nr, update: update)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `C = beta * C` without reading C when `beta` is 0.
    private static func scale(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Range<Int>, columns: Range<Int>,
        by beta: Float
    ) {
        for i in rows {
            let row = c + i * ldc
            for j in columns { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
    }
}
