/// Convolution as im2col + GEMM, for any layer: each image is unfolded into a columns matrix
/// (`Im2col`, or `SamePaddedTaps` for "same"-padded stride-1 layers) and multiplied by the
/// weight; the input gradient is the weight's transpose times dLoss/doutput, folded back (col2im).
///
/// input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW).
/// The batch is split over the pool's threads; each thread unfolds a group of images (one image
/// for large feature maps, several for small ones) into its own column buffer. The weight
/// gradient is summed per leaf of the batch into the leaf's own partial sum, groups never
/// crossing a leaf, and the leaves are added in `BatchSummation`'s order, so results depend on
/// neither the thread count nor the batch's cut between processes.
final class Im2colConv: ConvForward, ConvBackward, ConvWeightGradient {
    let geometry: ConvGeometry
    let outChannels: Int
    /// The operands' format in the three GEMMs.
    let precision: Precision
    private let pool: ThreadPool
    /// The whole-plane im2col of "same"-padded layers; nil for the others.
    private let samePadded: SamePaddedTaps?
    /// Per task: the im2col matrix of one group of images, then the group's output side by side.
    private let columns = Tensor(shape: [0])
    private let partialGradients = Tensor(shape: [0])

    init(_ g: ConvGeometry, outChannels: Int, precision: Precision = .fp32, pool: ThreadPool) {
        geometry = g
        self.outChannels = outChannels
        self.precision = precision
        self.pool = pool
        samePadded = g.isSamePadded ? SamePaddedTaps(g) : nil
    }

    /// Output positions a GEMM should see at least. Small feature maps are unfolded several images
    /// side by side, so that the GEMMs are wide and the weight gradient accumulates over a long k
    /// instead of being read and written once per image.
    static let groupColumns = 512

    /// How one batch is cut: tasks (threads), each a contiguous run of images (or, for the
    /// gradients, of leaves), processed in groups of up to `group` images per GEMM.
    private struct Plan {
        let tasks: Int
        let group: Int
        /// Floats per task in the columns buffer and in the side-by-side output buffer.
        let columnsSize: Int
        let sideSize: Int
    }

    private func plan(images n: Int) -> Plan {
        // With one task, the GEMM itself may use the pool.
        let tasks = max(1, min(pool.threadCount, n))
        return plan(tasks: tasks, group: (n + tasks - 1) / tasks)
    }

    /// The gradients' cut: whole leaves per task, groups within a leaf.
    private func plan(_ summation: BatchSummation) -> Plan {
        plan(tasks: summation.tasks(on: pool), group: BatchSummation.leafSize)
    }

    /// A plan of `tasks` tasks whose groups hold at most `group` images.
    private func plan(tasks: Int, group largest: Int) -> Plan {
        let g = geometry
        let group = max(1, min(largest, Self.groupColumns / g.outputPlane))
        let plan = Plan(
            tasks: tasks, group: group, columnsSize: g.columnRows * group * g.outputPlane,
            sideSize: group > 1 ? outChannels * group * g.outputPlane : 0)
        columns.resize(to: [tasks, plan.columnsSize + plan.sideSize])
        return plan
    }

    /// image (C, H, W) -> columns (C*K*K, OH*OW) with rows `rowStride` apart.
    private func unfold(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, rowStride: Int) {
        if let samePadded {
            samePadded.unfold(image, into: columns, rowStride: rowStride)
        } else {
            Im2col.unfold(image, geometry, into: columns, rowStride: rowStride)
        }
    }

    /// columns (C*K*K, OH*OW) -> the image gradient (C, H, W), overwritten.
    private func fold(_ columns: UnsafeMutablePointer<Float>, rowStride: Int, into image: UnsafeMutablePointer<Float>) {
        if let samePadded {
            samePadded.fold(columns, rowStride: rowStride, into: image)
        } else {
            image.update(repeating: 0, count: geometry.channels * geometry.inputPlane)
            Im2col.fold(columns, geometry, rowStride: rowStride, into: image)
        }
    }

    /// Calls `body(first image, image count, columns, side buffer)` for each group of task t's
    /// `images` (by default its share of the batch's n).
    @inline(__always)
    private func forEachGroup(
        _ plan: Plan, task t: Int, images n: Int, of images: Range<Int>? = nil,
        _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let col = columns.data + t * (plan.columnsSize + plan.sideSize)
        let range = images ?? ThreadPool.chunk(t, of: plan.tasks, count: n)
        for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: plan.group) {
            body(first, min(plan.group, range.upperBound - first), col, col + plan.columnsSize)
        }
    }

    func forward(
        _ x: UnsafePointer<Float>, images n: Int, weight w: UnsafePointer<Float>,
        bias b: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>
    ) {
        let plan = plan(images: n)
        let g = geometry, outChannels = outChannels
        let gemmPool = plan.tasks == 1 ? pool : nil
        let (inSize, outSize, plane) = (g.channels * g.inputPlane, outChannels * g.outputPlane, g.outputPlane)
        pool.run(tasks: plan.tasks) { t in
            forEachGroup(plan, task: t, images: n) { first, count, col, side in
                let width = count * plane
                for j in 0..<count { unfold(x + (first + j) * inSize, into: col + j * plane, rowStride: width) }
                // out (OC, count*OH*OW) = weight (OC, C*K*K) x col (C*K*K, count*OH*OW)
                let target = count == 1 ? y + first * outSize : side
                GEMM.multiply(
                    precision, transA: false, transB: false, m: outChannels, n: width, k: g.columnRows,
                    alpha: 1, a: w, lda: g.columnRows, b: col, ldb: width,
                    beta: 0, c: target, ldc: width, pool: gemmPool)
                if count > 1 {
                    ImageGroup.scatter(side, into: y + first * outSize, count: count, rows: outChannels, plane: plane)
                }
                if let b {
                    Elementwise.addRowBias(
                        y + first * outSize, rows: count * outChannels, columns: plane, bias: b,
                        biasCount: outChannels)
                }
            }
        }
    }

    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        computeGradients(
            input, images: n, outputGradient: outputGradient, weight: nil, weightGradient: weightGradient,
            biasGradient: biasGradient, inputGradient: nil)
    }

    func backward(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        computeGradients(
            input, images: n, outputGradient: outputGradient, weight: weight,
            weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
    }

    /// The weight gradient and, given `weight` and `inputGradient`, the input gradient from the
    /// same unfolded columns.
    private func computeGradients(
        _ x: UnsafePointer<Float>, images n: Int, outputGradient dy: UnsafePointer<Float>,
        weight w: UnsafePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?,
        inputGradient dx: UnsafeMutablePointer<Float>?
    ) {
        let summation = BatchSummation(samples: n), plan = plan(summation)
        let g = geometry, outChannels = outChannels
        let weightCount = outChannels * g.columnRows, biasCount = biasGradient == nil ? 0 : outChannels
        let leafSize = weightCount + biasCount
        partialGradients.resize(to: [summation.leaves.count, leafSize])
        // With one task, the GEMMs may use the pool (they split C, never k).
        let gemmPool = plan.tasks == 1 ? pool : nil
        let (inSize, outSize, plane) = (g.channels * g.inputPlane, outChannels * g.outputPlane, g.outputPlane)
        let partials = partialGradients.data
        summation.forEachLeaf(on: pool) { t, leaf, images in
            let dw = partials + leaf * leafSize, db = dw + weightCount
            dw.update(repeating: 0, count: leafSize)
            forEachGroup(plan, task: t, images: n, of: images) { first, count, col, side in
                let width = count * plane
                let dyGroup: UnsafePointer<Float>
                if count == 1 {
                    dyGroup = dy + first * outSize
                } else {
                    ImageGroup.gather(dy + first * outSize, into: side, count: count, rows: outChannels, plane: plane)
                    dyGroup = UnsafePointer(side)
                }
                for j in 0..<count { unfold(x + (first + j) * inSize, into: col + j * plane, rowStride: width) }
                // dweight (OC, C*K*K) += dy (OC, count*OH*OW) x col^T (count*OH*OW, C*K*K)
                GEMM.multiply(
                    precision, transA: false, transB: true, m: outChannels, n: g.columnRows, k: width,
                    alpha: 1, a: dyGroup, lda: width, b: col, ldb: width,
                    beta: 1, c: dw, ldc: g.columnRows, pool: gemmPool)
                if biasCount > 0 {
                    Elementwise.accumulateRowSums(dyGroup, rows: outChannels, columns: width, into: db)
                }
                if let w, let dx {
                    // dcol (C*K*K, count*OH*OW) = weight^T (C*K*K, OC) x dy (OC, count*OH*OW), reusing col
                    GEMM.multiply(
                        precision, transA: true, transB: false, m: g.columnRows, n: width, k: outChannels,
                        alpha: 1, a: w, lda: g.columnRows, b: dyGroup, ldb: width,
                        beta: 0, c: col, ldc: width, pool: gemmPool)
                    for j in 0..<count { fold(col + j * plane, rowStride: width, into: dx + (first + j) * inSize) }
                }
            }
        }
        summation.accumulate(partials, stride: leafSize, count: weightCount, into: weightGradient, pool: pool)
        if let biasGradient {
            summation.accumulate(
                partials + weightCount, stride: leafSize, count: biasCount, into: biasGradient, pool: pool)
        }
    }
}
