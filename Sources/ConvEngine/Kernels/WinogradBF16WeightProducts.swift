import CBF16Kernels

/// The weight gradient's element-wise products of a Winograd kernel in bf16 (`WinogradConv`,
/// `WinogradF4Conv`): dU[e]^T (C, OC padded) += V[e] (C, depth) x dM[e] (depth, OC padded) with
/// bf16 operands and fp32 sums. V's rows have the tiles as their depth, so consecutive tiles are
/// already the pairs `vdpbf16ps` reads: the rows are rounded as they stand (`cbf16_convert_rows`,
/// or by F(4x4)'s input transform as it makes them) and read row by row (`cbf16_multiply_rows`);
/// dM is packed in pairs of tiles (`cbf16_pack`). Packing V's rows into panels instead (a scalar
/// scatter per word) was slower than fp32.
final class WinogradBF16WeightProducts {
    private let patchRows = BF16Scratch<UInt16>(), gradientPairs = BF16Scratch<UInt32>()
    /// Halves of one element's rounded V rows and of one row, words of its packed dM, and the
    /// elements a task holds at once.
    private var patchHalves = 0, rowHalves = 0, gradientWords = 0, elements = 0

    /// Room for `tasks` tasks' operands of `elements` elements each, of `channels` rows of V,
    /// depths up to `depth` and `paddedChannels` columns of dM.
    func reserve(tasks: Int, elements: Int, channels: Int, depth: Int, paddedChannels: Int) {
        // The micro-kernel loads 8 rows of V a tile, so the rows past C are there (zero when
        // allocated, finite after) for products whose rows it drops.
        let rows = (channels + MicroKernel.rows - 1) / MicroKernel.rows * MicroKernel.rows
        rowHalves = cbf16_packed_words(1, depth, 1) * 2
        patchHalves = rows * rowHalves
        gradientWords = cbf16_packed_words(paddedChannels, depth, MicroKernel.columns)
        self.elements = elements
        patchRows.reserve(tasks * elements * patchHalves)
        gradientPairs.reserve(tasks * elements * gradientWords)
    }

    /// Task `task`'s operands, as plain pointers for the kernels' inner loops.
    func operands(task: Int) -> Operands {
        Operands(
            patchRows: patchRows.pointer + task * elements * patchHalves, patchHalves: patchHalves,
            rowHalves: rowHalves, gradientPairs: gradientPairs.pointer + task * elements * gradientWords,
            gradientWords: gradientWords)
    }

    /// One task's rounded operands, element after element.
    struct Operands {
        let patchRows: UnsafeMutablePointer<UInt16>, patchHalves: Int, rowHalves: Int
        let gradientPairs: UnsafeMutablePointer<UInt32>, gradientWords: Int

        /// Rounds element `element`'s operands: V[e]'s C rows (`stride` floats apart) and dM[e]
        /// (depth, OC padded) to bf16, laid out for that depth.
        func convert(
            element: Int, patches v: UnsafePointer<Float>, stride: Int, channels c: Int, depth: Int,
            gradients dm: UnsafePointer<Float>, paddedChannels: Int
        ) {
            cbf16_convert_rows(v, stride, c, depth, patchRows + element * patchHalves)
            cbf16_pack(
                dm, paddedChannels, false, paddedChannels, depth, MicroKernel.columns, 0,
                paddedChannels / MicroKernel.columns, gradientPairs + element * gradientWords)
        }

        /// Where F(4x4)'s transforms write element `element`'s operands themselves, laid out for
        /// the reserved depth: V's rows (`patchRows`, `rowHalves` apart) and dM's pairs of steps
        /// (`gradientPairs`, 32-channel panels `panelWords` apart); `multiply` reads them with
        /// `atReservedDepth`.
        func patchRows(element: Int) -> UnsafeMutablePointer<UInt16> { patchRows + element * patchHalves }
        func gradientPairs(element: Int) -> UnsafeMutablePointer<UInt32> {
            gradientPairs + element * gradientWords
        }
        var panelWords: Int { rowHalves / 2 * MicroKernel.columns }

        /// sums (`rows`, `channels.count`) = rows `firstRow ..< firstRow + rows` of V[e] x the
        /// output channels `channels` of dM[e] (from a 32-channel sliver's start), plus the sums
        /// there unless `first`, from element `element`'s operands, laid out as `convert` lays them
        /// out or, `atReservedDepth`, for the reserved depth; the sums' rows `ldc` floats apart.
        func multiply(
            element: Int, depth: Int, firstRow: Int, rows: Int, channels: Range<Int>, first: Bool,
            into sums: UnsafeMutablePointer<Float>, ldc: Int, atReservedDepth: Bool = false
        ) {
            let pairs = atReservedDepth ? rowHalves / 2 : cbf16_packed_words(1, depth, 1)
            let panel = channels.lowerBound / MicroKernel.columns * pairs * MicroKernel.columns
            cbf16_multiply_rows(
                depth, 1, patchRows + element * patchHalves + firstRow * 2 * pairs, pairs,
                gradientPairs + element * gradientWords + panel, pairs, first ? 0 : 1, sums, ldc, rows, 0,
                channels.count)
        }

        /// `WinogradProducts.accumulateWeightProducts` in bf16, through the first element's operands.
        func accumulate(
            elements: Int, patches v: UnsafePointer<Float>, stride: Int, channels c: Int, depth: Int,
            gradients dm: UnsafePointer<Float>, columns: Int, paddedChannels: Int, first: Bool,
            into sums: UnsafeMutablePointer<Float>
        ) {
            for e in 0..<elements {
                convert(
                    element: 0, patches: v + e * c * stride, stride: stride, channels: c, depth: depth,
                    gradients: dm + e * columns * paddedChannels, paddedChannels: paddedChannels)
                multiply(
                    element: 0, depth: depth, firstRow: 0, rows: c, channels: 0..<paddedChannels, first: first,
                    into: sums + e * c * paddedChannels, ldc: paddedChannels)
            }
        }
    }
}
