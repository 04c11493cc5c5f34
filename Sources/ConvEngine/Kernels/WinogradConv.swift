import CBF16Kernels
import CPrefetch

/// 3x3 stride-1 convolutions with padding 1 by Winograd's minimal filtering, F(2x2, 3x3).
///
/// Each 2x2 block of outputs ("tile") is computed from the 4x4 input patch around it as
/// `A^T [(G g G^T) . (B^T d B)] A`: 16 multiplies per channel pair instead of 36. The
/// element-wise products over all channels are 16 independent GEMMs, one per patch element:
/// M[e] (OC, tiles) = U[e] (OC, C) x V[e] (C, tiles), with U the transformed weight and V the
/// transformed patches (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks").
///
/// The same kernel gives the input gradient (with the weight flipped, see `FlippedWeight`) and,
/// in `accumulateWeightGradient`, the weight and bias gradients. On maps 3 wide or more
/// `WinogradF4Conv` runs these layers instead, so this kernel serves maps 1 or 2 wide.
///
/// The transforms put 16 tiles of one tile row in a vector's lanes.
///
/// In bf16 (`Precision.bf16` on a CPU with AVX512-BF16) the transforms stay fp32 and the 16
/// GEMMs take bf16 operands with fp32 sums (`WinogradBF16Products`; in the weight gradient
/// `cbf16_convert_rows`, `cbf16_multiply_rows`): the transformed patches and weights (or output
/// gradients) are rounded once each, as autocast rounds a convolution's operands. On a CPU without
/// AMX this is what bf16 speeds up in these layers.
///
/// Work is cut into items of whole tile rows (several images' worth on small maps): 64 tiles,
/// or 32 from 256 channels, so that an item's transformed patches stay in L2. Each output
/// element is written by one item, so results do not depend on the thread count.
final class WinogradConv: ConvForward, ConvWeightGradient {
    /// Elements of a transformed patch (4 x 4), one GEMM each.
    private static let elements = 16
    private static let lanes = 16

    let geometry: ConvGeometry
    let outChannels: Int
    /// In bf16, the forward pass's products and the weight gradient's.
    private let bf16Products: WinogradBF16Products?, bf16WeightProducts: WinogradBF16WeightProducts?
    private let pool: ThreadPool
    /// Tiles per tile row and tile rows per image (2x2 outputs per tile; odd sizes round up).
    private let rowTiles: Int, columnTiles: Int
    /// Tile rows per item and the item's GEMM width (tiles, rounded up to a micro-kernel sliver).
    private let itemRows: Int, itemColumns: Int
    /// Floats between rows of V and M: the GEMM width plus room for the transforms' 16-lane
    /// writes past the last tile.
    private let stride: Int
    /// Floats per padded input row in the transform's buffer.
    private let lineLength: Int
    /// U per element: 8-channel slivers of (C, 8), as the micro-kernel reads A.
    private let packedWeight = Tensor(shape: [0])
    private let scratch = Tensor(shape: [0])
    /// Per task for the weight gradient: patches, output-gradient tiles, sums and lines.
    private let gradientScratch = Tensor(shape: [0])
    /// Per leaf of the batch: its weight and bias gradients (`WinogradGradientLeaves`).
    private let partialGradients = Tensor(shape: [0])

    init(_ g: ConvGeometry, outChannels: Int, precision: Precision = .fp32, pool: ThreadPool) {
        precondition(
            g.kernel == 3 && g.isSamePadded,
            "WinogradConv needs 3x3 kernels, stride 1 and padding 1, got \(g)")
        geometry = g
        self.outChannels = outChannels
        self.pool = pool
        rowTiles = (g.height + 1) / 2
        columnTiles = (g.width + 1) / 2
        // 64 tiles per item, or 32 from 256 channels: an item's patches, 16 x C x tiles floats,
        // stay within a quarter of L2.
        itemRows = max(1, (g.channels >= 256 ? 32 : 64) / columnTiles)
        let width = MicroKernel.columns
        itemColumns = (itemRows * columnTiles + width - 1) / width * width
        stride = itemColumns + Self.lanes
        lineLength = (2 * columnTiles + 2 + 2 * Self.lanes + Self.lanes - 1) / Self.lanes * Self.lanes
        bf16Products =
            precision.available == .bf16
            ? WinogradBF16Products(
                elements: Self.elements, channels: g.channels, outChannels: outChannels, columns: itemColumns) : nil
        bf16WeightProducts = bf16Products == nil ? nil : WinogradBF16WeightProducts()
    }

    private var channelTiles: Int { (outChannels + MicroKernel.rows - 1) / MicroKernel.rows }
    private var transformedSize: Int { Self.elements * geometry.channels * stride }
    /// The products of one 8-channel tile of the output.
    private var productSize: Int { Self.elements * MicroKernel.rows * stride }
    /// Four padded input rows per channel.
    private var linesSize: Int { 4 * geometry.channels * lineLength }
    private var taskSize: Int { transformedSize + productSize + linesSize }

    /// output (N, OC, H, W) = conv(input (N, C, H, W)) + bias, overwritten; `weight` is
    /// (OC, C*3*3) row-major.
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        transformWeight(weight)
        let (rows, items, tasks) = workItems(images: n)
        if scratch.count != tasks * taskSize {
            // The lines' zero padding is written once; slack columns of V and M may hold anything.
            scratch.resize(to: [tasks * taskSize])
            scratch.fill(0)
        }
        bf16Products?.reserve(tasks: tasks)
        let body = { (t: Int) in
            let v = self.scratch.data + t * self.taskSize
            let m = v + self.transformedSize, lines = m + self.productSize
            for item in ThreadPool.chunk(t, of: tasks, count: items) {
                let first = item * self.itemRows, count = min(self.itemRows, rows - first)
                self.transformInput(input, tileRows: first..<(first + count), into: v, lines: lines)
                self.bf16Products?.packPatches(v, stride: self.stride, task: t)
                for tile in 0..<self.channelTiles {
                    let rows = min(MicroKernel.rows, self.outChannels - tile * MicroKernel.rows)
                    if let products = self.bf16Products {
                        products.multiply(task: t, channelTile: tile, rows: rows, stride: self.stride, into: m)
                    } else {
                        WinogradProducts.multiply(
                            elements: Self.elements, packedWeight: self.packedWeight.data,
                            channelTiles: self.channelTiles, tile: tile, rows: rows,
                            channels: self.geometry.channels, patches: v, columns: self.itemColumns,
                            stride: self.stride,
                            into: m)
                    }
                    for r in 0..<count {
                        self.transformOutput(
                            m, channelTile: tile, column: r * self.columnTiles, tileRow: first + r, bias: bias,
                            into: output)
                    }
                }
            }
        }
        pool.run(tasks: tasks, body)
    }

    /// weight (OC, C, 3, 3) -> U = G g G^T per element, packed (element, channel tile, C, 8).
    /// The 8 output channels of a tile are the lanes, so each element is one contiguous store:
    /// one channel pair at a time, 16 stores a tile apart, took 0.6 ms for 64 -> 128 channels,
    /// while the other threads waited.
    private func transformWeight(_ weight: UnsafePointer<Float>) {
        let c = geometry.channels, tileRows = MicroKernel.rows
        packedWeight.resize(to: [Self.elements * channelTiles * c * tileRows])
        let u = packedWeight.data, elementStride = channelTiles * c * tileRows
        typealias Lanes = SIMD8<Float>
        for tile in 0..<channelTiles {
            for i in 0..<c {
                let g = TileTaps(weight, tile: tile, channel: i, channels: c, outChannels: outChannels)
                let target = u + (tile * c + i) * tileRows
                /// Row r of G g, (x0, x1, x2) -> elements 4r ..< 4r + 4 of G g G^T.
                @inline(__always)
                func storeRow(_ r: Int, _ x0: Lanes, _ x1: Lanes, _ x2: Lanes) {
                    let row = target + 4 * r * elementStride
                    func store(_ v: Lanes, _ e: Int) {
                        v.store(to: row + e * elementStride)
                    }
                    store(x0, 0)
                    store((x0 + x1 + x2) * 0.5, 1)
                    store((x0 - x1 + x2) * 0.5, 2)
                    store(x2, 3)
                }
                // Rows of G g: g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 (rows of g).
                storeRow(0, g.g0, g.g1, g.g2)
                storeRow(1, (g.g0 + g.g3 + g.g6) * 0.5, (g.g1 + g.g4 + g.g7) * 0.5, (g.g2 + g.g5 + g.g8) * 0.5)
                storeRow(2, (g.g0 - g.g3 + g.g6) * 0.5, (g.g1 - g.g4 + g.g7) * 0.5, (g.g2 - g.g5 + g.g8) * 0.5)
                storeRow(3, g.g6, g.g7, g.g8)
            }
        }
        bf16Products?.packWeight(u, pool: pool)
    }

    /// How a batch of `n` images is cut: its tile rows, items of `itemRows` of them, and tasks
    /// of whole items.
    private func workItems(images n: Int) -> (rows: Int, items: Int, tasks: Int) {
        let rows = n * rowTiles, items = (rows + itemRows - 1) / itemRows
        return (rows, items, max(1, min(pool.threadCount, items)))
    }

    /// The patches of an item's tile rows -> V[e][c][tiles from column 0].
    private func transformInput(
        _ input: UnsafePointer<Float>, tileRows: Range<Int>,
        into v: UnsafeMutablePointer<Float>, lines: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<tileRows.count {
            transformInput(
                input, tileRow: tileRows.lowerBound + r, isLast: r == tileRows.count - 1, column: r * columnTiles,
                into: v, lines: lines)
        }
    }

    /// The patches of tile row `tileRow` -> V[e][c][column..<column + tiles] = B^T d B.
    ///
    /// First every channel's four input rows 2ty-1 ... 2ty+2 of each tile row are copied into
    /// `lines` behind a zero column (zero rows above and below the image), then transformed.
    /// Reading a line right after writing it stalled on store forwarding: half of this function's
    /// time.
    private func transformInput(
        _ input: UnsafePointer<Float>, tileRow: Int, isLast: Bool, column: Int,
        into v: UnsafeMutablePointer<Float>, lines: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, length = lineLength, channelLines = 4 * length
        // The rows the item's next tile row adds (two), in every channel: each plane is its own
        // stream, more than the hardware prefetchers follow, and the copy below waited on memory.
        if !isLast {
            let (image, ty) = (tileRow + 1).quotientAndRemainder(dividingBy: rowTiles)
            let top = min(2 * ty + 1, g.height - 1), span = min(2, g.height - top) * g.width
            let rowsStart = input + image * g.channels * g.inputPlane + top * g.width
            for c in 0..<g.channels {
                let start = rowsStart + c * g.inputPlane
                for offset in Swift.stride(from: 0, to: span, by: 16) { cprefetch(start + offset) }
            }
        }
        let (image, ty) = tileRow.quotientAndRemainder(dividingBy: rowTiles)
        let planes = input + image * g.channels * g.inputPlane
        for c in 0..<g.channels {
            for r in 0..<4 {
                let y = 2 * ty - 1 + r, line = lines + c * channelLines + r * length + 1
                Self.copy(
                    y >= 0 && y < g.height ? planes + c * g.inputPlane + y * g.width : nil, to: line,
                    count: g.width)
            }
        }
        /// 32 positions of a padded line from `p`: even and odd lanes are the tiles' first and
        /// second columns.
        @inline(__always)
        func load(_ p: UnsafePointer<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
            (SIMD16.load(p), SIMD16.load(p + Self.lanes))
        }
        let step = g.channels * stride
        for c in 0..<g.channels {
            let d = lines + c * channelLines
            for tx in Swift.stride(from: 0, to: columnTiles, by: Self.lanes) {
                // Lanes are tiles: column x of tile tx + j sits at padded position 2 * (tx + j) + x.
                // a, b: positions from 2tx; c, e: from 2tx + 2.
                let p = UnsafePointer(d + 2 * tx)
                let (a0, b0) = load(p), (a1, b1) = load(p + length)
                let (a2, b2) = load(p + 2 * length), (a3, b3) = load(p + 3 * length)
                let (c0, e0) = load(p + 2), (c1, e1) = load(p + 2 + length)
                let (c2, e2) = load(p + 2 + 2 * length), (c3, e3) = load(p + 2 + 3 * length)
                let target = v + c * stride + column + tx
                // Rows of B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3.
                Self.transformColumns(a0 - a2, b0 - b2, c0 - c2, e0 - e2, to: target, step: step)
                Self.transformColumns(a1 + a2, b1 + b2, c1 + c2, e1 + e2, to: target + 4 * step, step: step)
                Self.transformColumns(a2 - a1, b2 - b1, c2 - c1, e2 - e1, to: target + 8 * step, step: step)
                Self.transformColumns(a1 - a3, b1 - b3, c1 - c3, e1 - e3, to: target + 12 * step, step: step)
            }
        }
    }

    /// One row of B^T d for 16 tiles, given as the 32 positions from the tiles' first column
    /// (`low0`, `low1`) and from their third (`high0`, `high1`) -> its four elements of B^T d B,
    /// stored `step` floats apart.
    @inline(__always)
    private static func transformColumns(
        _ low0: SIMD16<Float>, _ low1: SIMD16<Float>, _ high0: SIMD16<Float>,
        _ high1: SIMD16<Float>, to target: UnsafeMutablePointer<Float>, step: Int
    ) {
        let (x0, x1) = deinterleave(low0, low1), (x2, x3) = deinterleave(high0, high1)
        (x0 - x2).store(to: target)
        (x1 + x2).store(to: target + step)
        (x2 - x1).store(to: target + 2 * step)
        (x1 - x3).store(to: target + 3 * step)
    }

    /// M of tile row `tileRow` for one 8-channel tile -> its output rows, A^T M A + bias.
    private func transformOutput(
        _ m: UnsafePointer<Float>, channelTile tile: Int, column: Int, tileRow: Int, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, tileRows = MicroKernel.rows
        // The tile row's two output rows within an output channel's image; the second may be past it.
        let (image, ty) = tileRow.quotientAndRemainder(dividingBy: rowTiles)
        let top = image * outChannels * g.inputPlane + 2 * ty * g.width
        let hasBottom = 2 * ty + 1 < g.height
        let elementStride = tileRows * stride
        for o in (tile * tileRows)..<min(outChannels, (tile + 1) * tileRows) {
            let b = SIMD16<Float>(repeating: bias?[o] ?? 0)
            let channel = output + o * g.inputPlane
            for tx in Swift.stride(from: 0, to: columnTiles, by: Self.lanes) {
                let base = m + (o - tile * tileRows) * stride + column + tx
                let m00 = SIMD16.load(base), m01 = SIMD16.load(base + elementStride)
                let m02 = SIMD16.load(base + 2 * elementStride), m03 = SIMD16.load(base + 3 * elementStride)
                let m10 = SIMD16.load(base + 4 * elementStride), m11 = SIMD16.load(base + 5 * elementStride)
                let m12 = SIMD16.load(base + 6 * elementStride), m13 = SIMD16.load(base + 7 * elementStride)
                let m20 = SIMD16.load(base + 8 * elementStride), m21 = SIMD16.load(base + 9 * elementStride)
                let m22 = SIMD16.load(base + 10 * elementStride), m23 = SIMD16.load(base + 11 * elementStride)
                let m30 = SIMD16.load(base + 12 * elementStride), m31 = SIMD16.load(base + 13 * elementStride)
                let m32 = SIMD16.load(base + 14 * elementStride), m33 = SIMD16.load(base + 15 * elementStride)
                // A^T M: per column j, m0j + m1j + m2j (upper) and m1j - m2j - m3j (lower); then
                // the same on the rows of the result.
                let u0 = m00 + m10 + m20, u1 = m01 + m11 + m21, u2 = m02 + m12 + m22, u3 = m03 + m13 + m23
                let l0 = m10 - m20 - m30, l1 = m11 - m21 - m31, l2 = m12 - m22 - m32, l3 = m13 - m23 - m33
                let (upperLow, upperHigh) = Self.interleave(u0 + u1 + u2 + b, u1 - u2 - u3 + b)
                Self.store(upperLow, upperHigh, to: channel + top, from: 2 * tx, width: g.width)
                guard hasBottom else { continue }
                let (lowerLow, lowerHigh) = Self.interleave(l0 + l1 + l2 + b, l1 - l2 - l3 + b)
                Self.store(lowerLow, lowerHigh, to: channel + top + g.width, from: 2 * tx, width: g.width)
            }
        }
    }

    /// weightGradient (OC, C, 3, 3) += dLoss/dweight and biasGradient (OC) += dLoss/dbias for
    /// input (N, C, H, W) and outputGradient (N, OC, H, W).
    ///
    /// With Y = A^T M A and M[e] = U[e] V[e] per tile, dLoss/dU[e] is the sum over tiles of
    /// dM[e] V[e]^T, where dM = A dy A^T is each output-gradient tile taken back through the
    /// output transform; dLoss/dweight = G^T dU G. The sums over tiles are 16 GEMMs per item, with
    /// 2.25x fewer multiplies than im2col's, and the patches are transformed as in `forward`.
    /// Each task keeps its sums, 16 x C x OC floats (16 MB for 512 x 512 channels), over one leaf
    /// of the batch at a time (items never cross a leaf); each leaf's gradients are kept apart and
    /// added up in `BatchSummation`'s order.
    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        let (c, oc, elements) = (geometry.channels, outChannels, Self.elements)
        let leaves = WinogradGradientLeaves(
            summation: BatchSummation(samples: n), channels: c, outChannels: oc, partials: partialGradients)
        let paddedChannels = leaves.paddedChannels
        let tasks = leaves.tasks(on: pool)
        let productsSize = elements * itemColumns * paddedChannels, sumsSize = elements * c * paddedChannels
        let taskSize = transformedSize + productsSize + sumsSize + linesSize
        if gradientScratch.count != tasks * taskSize {
            gradientScratch.resize(to: [tasks * taskSize])
            gradientScratch.fill(0)
        }
        bf16WeightProducts?.reserve(
            tasks: tasks, elements: 1, channels: c, depth: itemColumns, paddedChannels: paddedChannels)
        leaves.accumulate(
            outputGradient: outputGradient, plane: geometry.inputPlane, pool: pool, weightGradient: weightGradient,
            biasGradient: biasGradient
        ) { t, images, partial in
            let v = self.gradientScratch.data + t * taskSize
            let dm = v + self.transformedSize, sums = dm + productsSize, lines = sums + sumsSize
            let bf16 = self.bf16WeightProducts?.operands(task: t)
            let leafRows = (images.lowerBound * self.rowTiles)..<(images.upperBound * self.rowTiles)
            for first in Swift.stride(from: leafRows.lowerBound, to: leafRows.upperBound, by: self.itemRows) {
                let count = min(self.itemRows, leafRows.upperBound - first)
                self.transformInput(input, tileRows: first..<(first + count), into: v, lines: lines)
                for r in 0..<count {
                    self.transformOutputGradient(
                        outputGradient, tileRow: first + r, column: r * self.columnTiles,
                        channels: paddedChannels, into: dm)
                }
                // dU[e]^T (C, OC) += V[e] (C, tiles) x dM[e] (tiles, OC); the leaf's first item
                // overwrites the sums.
                let depth = count * self.columnTiles, firstItem = first == leafRows.lowerBound
                if let bf16 {
                    bf16.accumulate(
                        elements: elements, patches: v, stride: self.stride, channels: c, depth: depth,
                        gradients: dm, columns: self.itemColumns, paddedChannels: paddedChannels, first: firstItem,
                        into: sums)
                } else {
                    WinogradProducts.accumulateWeightProducts(
                        elements: elements, patches: v, stride: self.stride, channels: c, depth: depth, gradients: dm,
                        columns: self.itemColumns, paddedChannels: paddedChannels, first: firstItem, into: sums)
                }
            }
            Self.transformWeightGradient(sums, channels: c, paddedChannels: paddedChannels, into: partial)
        }
    }

    /// dLoss/dweight = G^T dU G as (3, 3, C, OC padded), overwritten, from the sums dU^T (element,
    /// C, OC padded to 32): 16 output channels in the lanes, stored whole.
    private static func transformWeightGradient(
        _ sums: UnsafePointer<Float>, channels c: Int, paddedChannels: Int,
        into weightGradient: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<c {
            for o0 in Swift.stride(from: 0, to: paddedChannels, by: lanes) {
                @inline(__always) func x(_ e: Int) -> SIMD16<Float> {
                    SIMD16.load(sums + (e * c + i) * paddedChannels + o0)
                }
                // G^T X, from X's rows x0 ... x3: x0 + (x1 + x2) / 2, (x1 - x2) / 2, (x1 + x2) / 2 + x3.
                let h0 = (x(4) + x(8)) * 0.5, h1 = (x(5) + x(9)) * 0.5, h2 = (x(6) + x(10)) * 0.5
                let h3 = (x(7) + x(11)) * 0.5
                /// Row r of G^T X -> taps 3r ..< 3r + 3 of (G^T X) G.
                @inline(__always) func set(
                    _ r: Int, _ y0: SIMD16<Float>, _ y1: SIMD16<Float>, _ y2: SIMD16<Float>,
                    _ y3: SIMD16<Float>
                ) {
                    let target = weightGradient + (3 * r * c + i) * paddedChannels + o0, step = c * paddedChannels
                    (y0 + (y1 + y2) * 0.5).store(to: target)
                    ((y1 - y2) * 0.5).store(to: target + step)
                    ((y1 + y2) * 0.5 + y3).store(to: target + 2 * step)
                }
                set(0, x(0) + h0, x(1) + h1, x(2) + h2, x(3) + h3)
                set(1, (x(4) - x(8)) * 0.5, (x(5) - x(9)) * 0.5, (x(6) - x(10)) * 0.5, (x(7) - x(11)) * 0.5)
                set(2, h0 + x(12), h1 + x(13), h2 + x(14), h3 + x(15))
            }
        }
    }

    /// The output gradient of one tile row (image, tile row) -> dM[e][column + tx][channel] =
    /// A dy A^T, each 2x2 tile of dy taken back to 4x4 (zero past the image's edge and past the
    /// last channel). Lanes are 16 channels, gathered across planes, so that dM is the B operand
    /// of the micro-kernel as it stands.
    private func transformOutputGradient(
        _ gradient: UnsafePointer<Float>, tileRow: Int, column: Int, channels: Int,
        into dm: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, oc = outChannels, plane = g.inputPlane
        let (image, ty) = tileRow.quotientAndRemainder(dividingBy: rowTiles)
        let images = gradient + image * oc * plane
        let step = itemColumns * channels
        for tx in 0..<columnTiles {
            let (y, x) = (2 * ty, 2 * tx)
            let right = x + 1 < g.width, below = y + 1 < g.height
            // Lanes past `oc` are zeros; whole vectors past it stay as zero-filled at allocation.
            for o0 in Swift.stride(from: 0, to: oc, by: Self.lanes) {
                var y00 = SIMD16<Float>(), y01 = y00, y10 = y00, y11 = y00
                for l in 0..<min(Self.lanes, oc - o0) {
                    let p = images + (o0 + l) * plane + y * g.width + x
                    y00[l] = p[0]
                    if right { y01[l] = p[1] }
                    if below { y10[l] = p[g.width] }
                    if right && below { y11[l] = p[g.width + 1] }
                }
                let target = dm + (column + tx) * channels + o0
                // Rows of A dy: y0, y0 + y1, y0 - y1, -y1; then the same on the columns.
                Self.expandColumns(y00, y01, to: target, step: step)
                Self.expandColumns(y00 + y10, y01 + y11, to: target + 4 * step, step: step)
                Self.expandColumns(y00 - y10, y01 - y11, to: target + 8 * step, step: step)
                Self.expandColumns(-y10, -y11, to: target + 12 * step, step: step)
            }
        }
    }

    /// One row of A dy as its two columns -> its four elements of A dy A^T.
    @inline(__always)
    private static func expandColumns(
        _ x0: SIMD16<Float>, _ x1: SIMD16<Float>, to target: UnsafeMutablePointer<Float>,
        step: Int
    ) {
        x0.store(to: target)
        (x0 + x1).store(to: target + step)
        (x0 - x1).store(to: target + 2 * step)
        (-x1).store(to: target + 3 * step)
    }

    // Swift's `evenHalf`, `oddHalf` of SIMD32 went lane by lane through the stack; element-wise
    // initialisers with constant indices compile to one two-source permute each.

    /// Stores 32 outputs (`low`, `high`) of an output row from column `from` of `row`, cut at `width`.
    @inline(__always)
    private static func store(
        _ low: SIMD16<Float>, _ high: SIMD16<Float>, to row: UnsafeMutablePointer<Float>, from: Int, width: Int
    ) {
        store(low, to: row + from, count: width - from)
        if from + lanes < width { store(high, to: row + from + lanes, count: width - from - lanes) }
    }

    /// row[0..<min(count, 16)] = v's first lanes: one vector store when the row takes them all.
    @inline(__always)
    private static func store(_ v: SIMD16<Float>, to row: UnsafeMutablePointer<Float>, count: Int) {
        if count >= lanes {
            v.store(to: row)
        } else {
            for x in 0..<count { row[x] = v[x] }
        }
    }

    /// The even and the odd lanes of the 32 in a, b.
    @inline(__always)
    private static func deinterleave(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
        (
            SIMD16(
                a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14], b[0], b[2], b[4], b[6], b[8], b[10], b[12], b[14]),
            SIMD16(a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15], b[1], b[3], b[5], b[7], b[9], b[11], b[13], b[15])
        )
    }

    /// even[0], odd[0], even[1], odd[1], ... as two vectors of 16.
    @inline(__always)
    private static func interleave(_ e: SIMD16<Float>, _ o: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
        (
            SIMD16(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3], e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7]),
            SIMD16(
                e[8], o[8], e[9], o[9], e[10], o[10], e[11], o[11],
                e[12], o[12], e[13], o[13], e[14], o[14], e[15], o[15])
        )
    }

    /// target[0..<count] = source (or zeros): rows are short, and a library call per row cost
    /// more than the copy.
    @inline(__always)
    private static func copy(_ source: UnsafePointer<Float>?, to target: UnsafeMutablePointer<Float>, count: Int) {
        var x = 0
        while x + lanes <= count {
            (source.map { SIMD16.load($0 + x) } ?? SIMD16()).store(to: target + x)
            x += lanes
        }
        while x < count {
            target[x] = source?[x] ?? 0
            x += 1
        }
    }
}
