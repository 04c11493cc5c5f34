import CWinograd

/// 3x3 stride-1 convolutions with padding 1 by Winograd's F(4x4, 3x3), all three passes (the input
/// gradient as the forward pass of the transposed layer): each 4x4 block of outputs comes from the 6x6 input
/// patch around it, 36 multiplies per channel pair for 16 outputs where F(2x2, 3x3)
/// (`WinogradConv`) takes 64. The element-wise products are 36 GEMMs per item,
/// M[e] (OC, columns) = U[e] (OC, C) x V[e] (C, columns), on the same micro-kernel.
///
/// The transforms (`CWinograd`) put 16 images in a vector's lanes, so they are plain vector
/// arithmetic on any map 3 wide or more; transposes move values between the images' planes and the
/// lanes. The input side first copies a band of each block's rows (the whole map where it fits)
/// into that layout, reading each image's rows as one run, and transforms the patches from there:
/// read in place, an item's 6 short rows of 16 images far apart waited on memory. An item is a
/// block of 16 images (two on maps one tile wide), one tile row and up to 4 tiles of it (2 above
/// 64 channels, so that its transformed patches stay in L2). A batch under
/// 16 images leaves lanes idle rather than go to F(2x2, 3x3): an image's results are then the same
/// bits in any batch, so data-parallel ranks that split a small batch still compute what one
/// process computes.
///
/// Each output element is written by one item, and an image's values never leave its lane, so
/// results depend neither on the thread count nor on the other images of the block.
final class WinogradF4Conv: TransposingConvForward, ConvWeightGradient {
    /// Elements of a transformed patch (6 x 6), one GEMM each.
    private static let elements = 36
    /// Images per block: the transforms' lanes.
    private static let blockImages = 16

    let geometry: ConvGeometry
    let outChannels: Int
    private let pool: ThreadPool
    /// Tiles per tile row and tile rows per image (4x4 outputs per tile; sizes round up).
    private let rowTiles: Int, columnTiles: Int
    /// Tiles per item, blocks per item (two on maps one tile wide, so that they fill a
    /// micro-kernel sliver), and the item's GEMM width: 16 columns per tile and block, rounded up to
    /// a sliver (the slack stays zero).
    private let itemTiles: Int, itemBlocks: Int, itemColumns: Int
    /// Runs of `itemTiles` tiles per tile row.
    private let chunks: Int
    /// U per element: 8-channel slivers of (C, 8), as the micro-kernel reads A.
    private let packedWeight = Tensor(shape: [0])
    private let scratch = Tensor(shape: [0])
    /// Tile rows per band of the input (`cwino4_block_rows`), its rows and its size per block.
    private let bandTileRows: Int, bandRows: Int, paddedWidth: Int, bandSize: Int
    /// Per task, a band of each of its item's blocks; the columns outside the map stay zero.
    private let bands = Tensor(shape: [0])
    /// Per task for the weight gradient: patches, output-gradient tiles and sums.
    private let gradientScratch = Tensor(shape: [0])
    /// Per leaf of the batch: its weight and bias gradients (`WinogradGradientLeaves`).
    private let partialGradients = Tensor(shape: [0])
    /// In bf16, the forward pass's products and the weight gradient's.
    private let bf16Products: WinogradBF16Products?, bf16WeightProducts: WinogradBF16WeightProducts?

    /// Whether F(4x4, 3x3) serves a 3x3 "same" layer, both ways: maps 3 wide or more (a 2x2 map
    /// needs 16 multiplies per channel pair done directly, a tile 36).
    static func suits(_ g: ConvGeometry) -> Bool { g.width >= 3 }

    init(_ g: ConvGeometry, outChannels: Int, precision: Precision = .fp32, pool: ThreadPool) {
        precondition(
            g.kernel == 3 && g.isSamePadded && Self.suits(g),
            "WinogradF4Conv needs 3x3 kernels, stride 1, padding 1 and maps 3 wide or more, got \(g)")
        geometry = g
        self.outChannels = outChannels
        self.pool = pool
        rowTiles = (g.height + 3) / 4
        columnTiles = (g.width + 3) / 4
        // Four tiles (16 columns) fill whole cache lines of output rows: 64->64 on 16x16 at batch
        // 128, 2 threads, took 2.8 / 6.3 ms forward / backward against 3.3 / 7.3 with two.
        itemTiles = min(columnTiles, g.channels > 64 ? 2 : 4)
        chunks = (columnTiles + itemTiles - 1) / itemTiles
        let width = MicroKernel.columns
        itemBlocks = max(1, width / (itemTiles * Self.blockImages))
        itemColumns = (itemBlocks * itemTiles * Self.blockImages + width - 1) / width * width
        paddedWidth = 4 * columnTiles + 2
        let rowSize = g.channels * paddedWidth * Self.blockImages
        bandTileRows = max(1, min(rowTiles, (Self.bandBudget / rowSize - 2) / 4))
        bandRows = 4 * bandTileRows + 2
        bandSize = rowSize * bandRows
        bf16Products =
            precision.available == .bf16
            ? WinogradBF16Products(
                elements: Self.elements, channels: g.channels, outChannels: outChannels, columns: itemColumns) : nil
        bf16WeightProducts = bf16Products == nil ? nil : WinogradBF16WeightProducts()
    }

    /// Floats a band of one block may take (4 MB): whole maps where they fit (every layer of
    /// `convnet5` and `resnet9`), so that the copy reads each image's channels as one run. bf16
    /// `convnet5` steps at batch 128 on 2 threads (`convtop bench --only layers`, two alternating
    /// rounds): 54 / 58 ms with whole maps, 58 / 58 with bands of two tile rows, 61 / 59 with one,
    /// and 59 / 62 when the transforms read the images' rows themselves.
    private static let bandBudget = 1 << 20

    private func reserveBands(tasks: Int) -> UnsafeMutablePointer<Float> {
        if bands.count < tasks * itemBlocks * bandSize {
            bands.resize(to: [tasks * itemBlocks * bandSize])
            bands.fill(0)
        }
        return bands.data
    }

    /// Copies the rows that band `band` covers, of `count` images from `images`, into `target`.
    private func fillBand(
        _ images: UnsafePointer<Float>, count: Int, band: Int, into target: UnsafeMutablePointer<Float>
    ) {
        let g = geometry
        cwino4_block_rows(
            images, g.channels * g.inputPlane, Int32(count), Int32(g.channels), Int32(g.height), Int32(g.width),
            Int32(4 * band * bandTileRows - 1), Int32(bandRows), target, Int32(paddedWidth))
    }

    private var channelTiles: Int { (outChannels + MicroKernel.rows - 1) / MicroKernel.rows }
    private var transformedSize: Int { Self.elements * geometry.channels * itemColumns }
    private var productSize: Int { Self.elements * MicroKernel.rows * itemColumns }
    private var taskSize: Int { transformedSize + productSize }

    /// output (N, OC, H, W) = conv(input (N, C, H, W)) + bias, overwritten; `weight` is
    /// (OC, C*3*3) row-major.
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        transformWeight(weight, flipped: false)
        forwardTransformed(input, images: n, bias: bias, output: output)
    }

    func forward(
        _ input: UnsafePointer<Float>, images n: Int, flippingWeight weight: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        transformWeight(weight, flipped: true)
        forwardTransformed(input, images: n, bias: nil, output: output)
    }

    /// The forward pass with the weight already transformed (`transformWeight`).
    private func forwardTransformed(
        _ input: UnsafePointer<Float>, images n: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        let (g, chunks) = (geometry, chunks)
        let blocks = (n + Self.blockImages - 1) / Self.blockImages
        let items = (blocks + itemBlocks - 1) / itemBlocks * rowTiles * chunks
        let tasks = max(1, min(pool.threadCount, items))
        if scratch.count != tasks * taskSize {
            scratch.resize(to: [tasks * taskSize])
            scratch.fill(0)
        }
        bf16Products?.reserve(tasks: tasks)
        let bands = reserveBands(tasks: tasks)
        let (inputImage, outputImage) = (g.channels * g.inputPlane, outChannels * g.inputPlane)
        let forwardProducts = bf16Products
        let (bandTileRows, bandSize, itemBlocks) = (self.bandTileRows, self.bandSize, self.itemBlocks)
        let body = { (t: Int) in
            let v = self.scratch.data + t * self.taskSize, m = v + self.transformedSize
            let taskBands = bands + t * itemBlocks * bandSize
            var filled = (blockGroup: -1, band: -1)
            for item in ThreadPool.chunk(t, of: tasks, count: items) {
                let (blockGroup, place) = item.quotientAndRemainder(dividingBy: self.rowTiles * chunks)
                let (tileRow, chunk) = place.quotientAndRemainder(dividingBy: chunks)
                let firstTile = chunk * self.itemTiles, tiles = min(self.itemTiles, self.columnTiles - firstTile)
                // The item's blocks side by side, each `16 * tiles` columns.
                let blockRange = (blockGroup * self.itemBlocks)..<min(blocks, (blockGroup + 1) * self.itemBlocks)
                func images(_ block: Int) -> (first: Int, count: Int, column: Int) {
                    let first = block * Self.blockImages
                    return (
                        first, min(Self.blockImages, n - first),
                        (block - blockRange.lowerBound) * Self.blockImages * tiles
                    )
                }
                let band = tileRow / bandTileRows
                if filled != (blockGroup, band) {
                    filled = (blockGroup, band)
                    for block in blockRange {
                        let (first, count, _) = images(block)
                        self.fillBand(
                            input + first * inputImage, count: count, band: band,
                            into: taskBands + (block - blockRange.lowerBound) * bandSize)
                    }
                }
                let bandTileRow = Int32(tileRow - band * bandTileRows)
                for block in blockRange {
                    let (_, _, column) = images(block)
                    let blocked = taskBands + (block - blockRange.lowerBound) * bandSize
                    if let products = forwardProducts {
                        // V goes straight to bf16 pairs: half the stores, and no packing pass.
                        let (pairs, elementWords) = products.patches(task: t)
                        cwino4_transform_input_pairs(
                            blocked, Int32(self.bandRows), Int32(self.paddedWidth), Int32(g.channels), bandTileRow,
                            Int32(firstTile), Int32(tiles), pairs, elementWords, Int32(column))
                    } else {
                        cwino4_transform_input(
                            blocked, Int32(self.bandRows), Int32(self.paddedWidth), Int32(g.channels), bandTileRow,
                            Int32(firstTile), Int32(tiles), v + column, g.channels * self.itemColumns,
                            self.itemColumns)
                    }
                }
                for tile in 0..<self.channelTiles {
                    let rows = min(MicroKernel.rows, self.outChannels - tile * MicroKernel.rows)
                    if let products = forwardProducts {
                        products.multiply(task: t, channelTile: tile, rows: rows, stride: self.itemColumns, into: m)
                    } else {
                        WinogradProducts.multiply(
                            elements: Self.elements, packedWeight: self.packedWeight.data,
                            channelTiles: self.channelTiles, tile: tile, rows: rows, channels: g.channels, patches: v,
                            columns: self.itemColumns, stride: self.itemColumns, into: m)
                    }
                    for block in blockRange {
                        let (first, count, column) = images(block)
                        cwino4_transform_output(
                            m + column, MicroKernel.rows * self.itemColumns, self.itemColumns,
                            Int32(tile * MicroKernel.rows), Int32(rows), bias, output + first * outputImage,
                            outputImage,
                            Int32(count), Int32(g.height), Int32(g.width), Int32(tileRow), Int32(firstTile),
                            Int32(tiles))
                    }
                }
            }
        }
        pool.run(tasks: tasks, body)
    }

    /// weightGradient (OC, C, 3, 3) += dLoss/dweight and biasGradient (OC) += dLoss/dbias for
    /// input (N, C, H, W) and outputGradient (N, OC, H, W).
    ///
    /// With Y = A^T M A and M[e] = U[e] V[e] per tile, dLoss/dU[e] is the sum over tiles of
    /// dM[e] V[e]^T, where dM = A dy A^T is each output-gradient tile taken back through the
    /// output transform; dLoss/dweight = G^T dU G. The patches are transformed as in `forward`
    /// (images in the lanes), the output-gradient tiles with 16 channels in the lanes, so that dM
    /// comes out as rows of channels, the micro-kernel's B. A task works on one leaf of the batch
    /// at a time, its images 16 at a time, in one of two ways (`gathersLeaf`).
    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        let (g, c, oc, elements) = (geometry, geometry.channels, outChannels, Self.elements)
        let leaves = WinogradGradientLeaves(
            summation: BatchSummation(samples: n), channels: c, outChannels: oc, partials: partialGradients)
        let paddedChannels = leaves.paddedChannels
        let tasks = leaves.tasks(on: pool)
        let gathersLeaf =
            Self.gathersLeaf(channels: c, paddedChannels: paddedChannels, leafColumns: leafColumns)
        let columns = gathersLeaf ? leafColumns : itemColumns
        let (blockRows, blockColumns) = (MicroKernel.rows, MicroKernel.columns)
        // In bf16 the transforms write V and dM as the products' operands, not here.
        let fp32Operands = bf16WeightProducts == nil
        let patchesSize = fp32Operands ? elements * c * columns : 0
        let gradientsSize = fp32Operands ? elements * columns * paddedChannels : 0
        let sumsSize = elements * (gathersLeaf ? blockRows * blockColumns : c * paddedChannels)
        let taskSize = patchesSize + gradientsSize + sumsSize
        if gradientScratch.count != tasks * taskSize {
            // Channels past OC and the slack columns stay zero.
            gradientScratch.resize(to: [tasks * taskSize])
            gradientScratch.fill(0)
        }
        bf16WeightProducts?.reserve(
            tasks: tasks, elements: elements, channels: c, depth: columns, paddedChannels: paddedChannels)
        let (inputImage, outputImage) = (c * g.inputPlane, oc * g.inputPlane)
        let bands = reserveBands(tasks: tasks)
        leaves.accumulate(
            outputGradient: outputGradient, plane: g.inputPlane, pool: pool, weightGradient: weightGradient,
            biasGradient: biasGradient
        ) { t, images, partial in
            let v = self.gradientScratch.data + t * taskSize
            let dm = v + patchesSize, sums = dm + gradientsSize
            let bf16 = self.bf16WeightProducts?.operands(task: t)
            let band = bands + t * self.itemBlocks * self.bandSize
            var filled = 0
            for block in Swift.stride(from: images.lowerBound, to: images.upperBound, by: Self.blockImages) {
                let count = min(Self.blockImages, images.upperBound - block)
                for tileRow in 0..<self.rowTiles {
                    let (bandIndex, bandTileRow) = tileRow.quotientAndRemainder(dividingBy: self.bandTileRows)
                    if bandTileRow == 0 {
                        self.fillBand(input + block * inputImage, count: count, band: bandIndex, into: band)
                    }
                    for chunk in 0..<self.chunks {
                        let firstTile = chunk * self.itemTiles,
                            tiles = min(self.itemTiles, self.columnTiles - firstTile)
                        let place = (Int32(tileRow), Int32(firstTile), Int32(tiles))
                        let bandPlace = (Int32(self.bandRows), Int32(self.paddedWidth), Int32(c), Int32(bandTileRow))
                        if let bf16 {
                            // V goes straight to bf16 rows, as the products read them.
                            cwino4_transform_input_rows(
                                band, bandPlace.0, bandPlace.1, bandPlace.2, bandPlace.3, place.1, place.2,
                                bf16.patchRows(element: 0) + filled, bf16.patchHalves, bf16.rowHalves)
                        } else {
                            cwino4_transform_input(
                                band, bandPlace.0, bandPlace.1, bandPlace.2, bandPlace.3, place.1, place.2,
                                v + filled, c * columns, columns)
                        }
                        let gradientImages = outputGradient + block * outputImage
                        if let bf16 {
                            cwino4_transform_output_gradient_pairs(
                                gradientImages, outputImage, Int32(count), Int32(oc), Int32(g.height),
                                Int32(g.width), place.0, place.1, place.2, bf16.gradientPairs(element: 0),
                                bf16.gradientWords, bf16.panelWords, Int32(filled))
                        } else {
                            cwino4_transform_output_gradient(
                                gradientImages, outputImage, Int32(count), Int32(oc), Int32(g.height),
                                Int32(g.width), place.0, place.1, place.2, dm + filled * paddedChannels,
                                columns * paddedChannels, paddedChannels)
                        }
                        let depth = tiles * Self.blockImages
                        if gathersLeaf {
                            filled += depth
                            continue
                        }
                        // dU[e]^T (C, OC padded) += V[e] (C, depth) x dM[e] (depth, OC padded); the
                        // leaf's first item overwrites the sums.
                        let first = block == images.lowerBound && tileRow == 0 && chunk == 0
                        if let bf16 {
                            for e in 0..<elements {
                                bf16.multiply(
                                    element: e, depth: depth, firstRow: 0, rows: c, channels: 0..<paddedChannels,
                                    first: first, into: sums + e * c * paddedChannels, ldc: paddedChannels,
                                    atReservedDepth: true)
                            }
                        } else {
                            WinogradProducts.accumulateWeightProducts(
                                elements: elements, patches: v, stride: columns, channels: c, depth: depth,
                                gradients: dm, columns: columns, paddedChannels: paddedChannels, first: first,
                                into: sums)
                        }
                    }
                }
            }
            guard gathersLeaf else {
                cwino4_transform_weight_gradient(
                    sums, c * paddedChannels, Int32(c), Int32(paddedChannels), paddedChannels, partial,
                    paddedChannels, c * paddedChannels)
                return
            }
            // Each 8 x 32 block of dU for all 36 elements, taken through G^T dU G while in L1.
            for o in Swift.stride(from: 0, to: paddedChannels, by: blockColumns) {
                for i in Swift.stride(from: 0, to: c, by: blockRows) {
                    let rows = min(blockRows, c - i)
                    for e in 0..<elements {
                        let target = sums + e * blockRows * blockColumns
                        if let bf16 {
                            bf16.multiply(
                                element: e, depth: filled, firstRow: i, rows: rows,
                                channels: o..<(o + blockColumns), first: true, into: target, ldc: blockColumns,
                                atReservedDepth: true)
                        } else {
                            MicroKernel.tile(
                                depth: filled, a: v + (e * c + i) * columns, aRowStride: columns, aStep: 1,
                                b: dm + e * columns * paddedChannels + o, bStride: paddedChannels, c: target,
                                ldc: blockColumns, m: rows, update: MicroKernel.Update(alpha: 1, beta: 0))
                        }
                    }
                    cwino4_transform_weight_gradient(
                        sums, blockRows * blockColumns, Int32(rows), Int32(blockColumns), blockColumns,
                        partial + i * paddedChannels + o, paddedChannels, c * paddedChannels)
                }
            }
        }
    }

    /// Columns of a whole leaf's transformed patches (or output-gradient tiles): its blocks of 16
    /// images, every tile of each.
    private var leafColumns: Int {
        (BatchSummation.leafSize + Self.blockImages - 1) / Self.blockImages * Self.blockImages * rowTiles
            * columnTiles
    }

    /// Whether a task gathers a whole leaf's V and dM before any product, then computes dU an
    /// 8 x 32 block at a time for all 36 elements and takes it through G^T dU G at once, instead
    /// of keeping the leaf's 36 x C x OC sums and adding each item's products into them: where the
    /// sums outweigh the operands. That is small maps with many channels, whose leaves have few
    /// tiles (16 on 4x4 maps) and whose sums (9.4 MB at 256 x 256 channels) would otherwise go to
    /// memory and back for every leaf. Weight gradients alone at batch 128 on 2 threads, medians of
    /// 15 alternating calls each way, ms, fp32 / bf16: 256->256 on 4x4 10.7 / 11.1 kept against
    /// 6.5 / 6.6 gathered; 128->256 on 8x8 11.3 / 9.0 against 10.0 / 8.3; 128->128 on 4x4
    /// 2.1 / 1.3 against 1.4 / 1.5; and where the rule keeps the sums, 64->128 on 16x16 9.5 / 8.1
    /// against 11.3 / 11.2, 64->128 on 8x8 level.
    static func gathersLeaf(channels: Int, paddedChannels: Int, leafColumns: Int) -> Bool {
        channels * paddedChannels > leafColumns * (channels + paddedChannels)
    }

    /// weight (OC, C, 3, 3), or with `flipped` the transposed layer's (C, OC, 3, 3) turned by 180
    /// degrees, -> U = G g G^T per element (`cwino4_transform_weight`): in fp32,
    /// `packedWeight` (element, channel tile, C, 8) with the 8 output channels of a tile in the
    /// lanes; in bf16, straight to the products' pairs. G's rows: (1/4, 0, 0), -(1, 1, 1)/6,
    /// -(1, -1, 1)/6, (1/24, 1/12, 1/6), (1/24, -1/12, 1/6), (0, 0, 1).
    private func transformWeight(_ weight: UnsafePointer<Float>, flipped: Bool) {
        let (c, oc) = (geometry.channels, outChannels)
        let pairs = bf16Products?.reserveWeight()
        if pairs == nil { packedWeight.resize(to: [Self.elements * channelTiles * c * MicroKernel.rows]) }
        let u = packedWeight.data
        // On the pool: the transform runs before every forward pass and input gradient, and on one
        // thread it took 1.5% of a 2-thread bf16 `resnet9` step while the other thread waited.
        pool.forEachChunk(count: channelTiles * ((c + 1) / 2), minimumChunk: 4) { range in
            cwino4_transform_weight(
                weight, Int32(oc), Int32(c), flipped ? 1 : 0, Int32(range.lowerBound), Int32(range.upperBound), u,
                pairs)
        }
    }
}
