/// How one `GEMM` call divides its work between pool tasks.
///
/// Columns are preferred (each task packs only its own part of B, the big operand in convolution
/// layers), then rows. k is never split: each element of C is summed over k by one task in one
/// order, so that the product is the same on any thread count.
struct Split {
    enum Dimension { case rows, columns }

    let dimension: Dimension
    let tasks: Int
    /// Size of the split dimension and the granule its parts are multiples of.
    private let extent: Int
    private let granule: Int

    init(m: Int, n: Int, threads: Int) {
        let columnTiles = (n + MicroKernel.columns - 1) / MicroKernel.columns
        let rowTiles = (m + MicroKernel.rows - 1) / MicroKernel.rows
        if threads <= 1 {
            (dimension, tasks, extent, granule) = (.columns, 1, n, MicroKernel.columns)
        } else if Split.balance(columnTiles, threads) >= 0.85 {
            (dimension, tasks, extent, granule) = (.columns, threads, n, MicroKernel.columns)
        } else if Split.balance(rowTiles, threads) >= 0.85 {
            (dimension, tasks, extent, granule) = (.rows, threads, m, MicroKernel.rows)
        } else if columnTiles >= rowTiles {
            (dimension, tasks, extent, granule) = (.columns, min(threads, columnTiles), n, MicroKernel.columns)
        } else {
            (dimension, tasks, extent, granule) = (.rows, min(threads, rowTiles), m, MicroKernel.rows)
        }
    }

    /// Task `t`'s range of the split dimension: contiguous, in multiples of the granule.
    func part(_ t: Int) -> Range<Int> {
        let units = (extent + granule - 1) / granule
        let lower = min(extent, (t * units / tasks) * granule)
        let upper = min(extent, ((t + 1) * units / tasks) * granule)
        return lower..<upper
    }

    /// Fraction of the slowest task's time that the average task is busy.
    private static func balance(_ units: Int, _ threads: Int) -> Double {
        let most = (units + threads - 1) / threads
        return Double(units) / Double(threads * most)
    }
}
