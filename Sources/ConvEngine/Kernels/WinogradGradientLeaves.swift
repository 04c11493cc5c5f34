/// The weight and bias gradients of a 3x3 kernel (the Winograd ones, `NarrowWeightGradient`),
/// summed leaf by leaf of the batch in `BatchSummation`'s order so that they depend neither on the
/// thread count nor on how ranks split the batch. Each leaf's weight gradient is left as the
/// kernel leaves it, (3, 3, C, OC padded), with the leaf's bias gradient (OC) after it; the sum
/// over the leaves is put in the weight's layout once.
struct WinogradGradientLeaves {
    let summation: BatchSummation
    let channels: Int, outChannels: Int
    /// Per leaf: its weight and bias gradients.
    let partials: Tensor

    /// The tasks `accumulate` runs its leaves on.
    func tasks(on pool: ThreadPool) -> Int { summation.tasks(on: pool) }

    /// Output channels rounded up to the micro-kernel's 32-column slivers: the sums' row length.
    var paddedChannels: Int { (outChannels + MicroKernel.columns - 1) / MicroKernel.columns * MicroKernel.columns }

    private var weightCount: Int { 9 * channels * paddedChannels }
    private var leafSize: Int { weightCount + outChannels }

    /// weightGradient (OC, C, 3, 3) += the sum over the leaves of what `leafWeightGradient(task,
    /// images, into)` writes for each (overwritten, (3, 3, C, OC padded)), and biasGradient (OC) +=
    /// the sums of outputGradient (N, OC, plane).
    func accumulate(
        outputGradient: UnsafePointer<Float>, plane: Int, pool: ThreadPool,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
        leafWeightGradient: (_ task: Int, _ images: Range<Int>, _ into: UnsafeMutablePointer<Float>) -> Void
    ) {
        let (c, oc, padded, weightCount, leafSize) = (channels, outChannels, paddedChannels, weightCount, leafSize)
        partials.resize(to: [summation.leaves.count, leafSize])
        let sums = partials.data
        summation.forEachLeaf(on: pool) { t, leaf, images in
            let partial = sums + leaf * leafSize
            leafWeightGradient(t, images, partial)
            if biasGradient != nil {
                let biasSums = partial + weightCount
                biasSums.update(repeating: 0, count: oc)
                for image in images {
                    Elementwise.accumulateRowSums(
                        outputGradient + image * oc * plane, rows: oc, columns: plane, into: biasSums)
                }
            }
        }
        summation.combine(sums, stride: leafSize, count: weightCount, pool: pool)
        if !summation.leaves.isEmpty {
            // Element (tap, i, o) of the sum is weight (o, i, tap)'s gradient. The sums are read
            // 16 output channels at a time, a cache line, so that each line is read once.
            pool.forEachChunk(count: (oc + 15) / 16, minimumChunk: 1) { blocks in
                for block in blocks {
                    let first = 16 * block, count = min(16, oc - first)
                    for i in 0..<c {
                        for tap in 0..<9 {
                            let row = sums + (tap * c + i) * padded + first
                            for k in 0..<count { weightGradient[((first + k) * c + i) * 9 + tap] += row[k] }
                        }
                    }
                }
            }
        }
        if let biasGradient {
            summation.accumulate(sums + weightCount, stride: leafSize, count: oc, into: biasGradient, pool: pool)
        }
    }
}
