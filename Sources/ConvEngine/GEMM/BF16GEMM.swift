import CBF16Kernels
import Synchronization

/// `C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C` with bf16 operands and fp32
/// accumulation, on row-major fp32 matrices (the arguments of `GEMM.sgemm`).
///
/// op(A) and op(B) are rounded to bf16 and packed whole (`cbf16_pack`: each 32-bit word two
/// consecutive k steps, the layout `vdpbf16ps` reads), then 8 x 32 tiles of C are computed from
/// the packs. With a pool, packing and tiles are split between threads by whole panels of rows
/// or columns, so every element of C has one writer and results do not depend on the thread count.
public enum BF16GEMM {
    /// Whether this CPU runs the kernels (AVX512-F, AVX512-BW and AVX512-BF16 with OS support).
    public static let isSupported = cbf16_supported()

    static let tileRows = Int(CBF16_TILE_ROWS)
    static let tileColumns = Int(CBF16_TILE_COLUMNS)

    /// The kernel's name, as `convtop bench` shows it.
    public static let kernelName = "avx512-bf16 \(tileRows)x\(tileColumns)"

    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = nil
    ) {
        precondition(isSupported, "BF16GEMM needs AVX512-BF16; check BF16GEMM.isSupported first")
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 {
            GEMM.sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c, ldc: ldc)
            return
        }
        let rowPanels = (m + tileRows - 1) / tileRows, columnPanels = (n + tileColumns - 1) / tileColumns
        let threads = m * n * k >= GEMM.parallelThreshold ? (pool?.threadCount ?? 1) : 1
        // Whole panels of the longer side of C per task.
        let splitsColumns = columnPanels >= rowPanels * tileRows / tileColumns
        let tasks = min(threads, splitsColumns ? columnPanels : rowPanels)
        let aWords = cbf16_packed_words(m, k, tileRows), bWords = cbf16_packed_words(n, k, tileColumns)
        BF16Workspace.withWorkspace(words: aWords + bWords) { packs in
            let packedA = packs, packedB = packs + aWords
            let body = { (t: Int) in
                let rowPart = ThreadPool.chunk(t, of: tasks, count: rowPanels)
                let columnPart = ThreadPool.chunk(t, of: tasks, count: columnPanels)
                cbf16_pack(a, lda, !transA, m, k, tileRows, rowPart.lowerBound, rowPart.upperBound, packedA)
                cbf16_pack(b, ldb, transB, n, k, tileColumns, columnPart.lowerBound, columnPart.upperBound, packedB)
            }
            let multiply = { (t: Int) in
                let part = ThreadPool.chunk(t, of: tasks, count: splitsColumns ? columnPanels : rowPanels)
                let rows =
                    splitsColumns ? 0..<m : min(m, part.lowerBound * tileRows)..<min(m, part.upperBound * tileRows)
                let columns =
                    splitsColumns
                    ? min(n, part.lowerBound * tileColumns)..<min(n, part.upperBound * tileColumns) : 0..<n
                guard !rows.isEmpty, !columns.isEmpty else { return }
                cbf16_multiply_packed(
                    k, alpha, packedA, packedB, beta, c, ldc, rows.lowerBound, rows.upperBound,
                    columns.lowerBound, columns.upperBound)
            }
            if tasks > 1, let pool {
                pool.run(tasks: tasks, body)
                pool.run(tasks: tasks, multiply)
            } else {
                body(0)
                multiply(0)
            }
        }
    }

    /// `count` floats rounded to bf16 (round to nearest even) and widened back to fp32: the values
    /// the bf16 products see.
    public static func rounded(_ values: [Float]) -> [Float] {
        precondition(isSupported, "BF16GEMM needs AVX512-BF16; check BF16GEMM.isSupported first")
        var halves = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            halves.withUnsafeMutableBufferPointer { cbf16_convert(source.baseAddress, $0.baseAddress, values.count) }
        }
        return halves.map { Float(bitPattern: UInt32($0) << 16) }
    }
}

/// The packed operands of one `BF16GEMM` call, allocated once per thread's largest product and
/// reused by later calls.
private final class BF16Workspace: @unchecked Sendable {
    // Unchecked because a workspace has one user at a time: `withWorkspace` takes it out of the
    // shared free list for the duration of one call and puts it back afterwards.
    private(set) var words: UnsafeMutablePointer<UInt32>
    private var capacity: Int

    private static let free = Mutex<[BF16Workspace]>([])

    private init() {
        capacity = 0
        words = BufferMemory.allocate(0)
    }

    deinit { BufferMemory.free(words) }

    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        BufferMemory.free(words)
        words = BufferMemory.allocate(count)
        capacity = count
    }

    /// Lends `body` a buffer of at least `words` words; no other caller uses it until `body` returns.
    static func withWorkspace<R>(words count: Int, _ body: (UnsafeMutablePointer<UInt32>) -> R) -> R {
        let workspace = free.withLock { $0.popLast() } ?? BF16Workspace()
        defer { free.withLock { $0.append(workspace) } }
        workspace.reserve(count)
        return body(workspace.words)
    }
}
