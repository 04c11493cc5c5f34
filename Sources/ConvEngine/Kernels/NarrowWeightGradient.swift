/// The weight gradient of 3x3 "same" layers with few input channels: a network's first layer on
/// RGB or grey images, whose im2col GEMM is skinny (27 columns for 3 channels) and spent most of
/// its time unfolding the images and packing operands: `convnet5`'s 3->32 on 32x32 at batch 128,
/// 2 threads took 2.5 ms that way.
///
/// Here the products run straight over the images. Lanes are 16 adjacent output columns; per
/// (4 output channels, input channel, kernel row) a sweep over the map keeps the 12 sums of the
/// kernel row's 3 taps in registers, each output-gradient vector feeding 3 FMAs and each input
/// vector 4. The input is first copied with its zero border, so that every tap is a plain load.
/// The lanes stay apart over a leaf of the batch and are summed once per leaf, the leaves in
/// `BatchSummation`'s order (`WinogradGradientLeaves`), so results depend neither on the thread
/// count nor on how ranks split the batch.
final class NarrowWeightGradient: ConvWeightGradient {
    typealias Lanes = SIMD16<Float>
    private static let lanes = 16
    /// Output channels per sweep.
    private static let block = 4

    let geometry: ConvGeometry
    let outChannels: Int
    private let pool: ThreadPool
    /// Per leaf of the batch: its weight and bias gradients.
    private let partialGradients = Tensor(shape: [0])
    /// Per task: the image with its zero border, the sums' lanes and a zero plane that stands in
    /// for the output channels past the last block's end.
    private let scratch = Tensor(shape: [0])

    /// 3x3 "same" layers with at most 4 input channels on maps whose rows are whole vectors.
    static func suits(_ g: ConvGeometry) -> Bool {
        g.kernel == 3 && g.isSamePadded && g.channels <= 4 && g.width % lanes == 0
    }

    init(_ g: ConvGeometry, outChannels: Int, pool: ThreadPool) {
        precondition(Self.suits(g), "NarrowWeightGradient needs a 3x3 same layer of at most 4 channels, got \(g)")
        geometry = g
        self.outChannels = outChannels
        self.pool = pool
    }

    private var rowStride: Int { geometry.width + 2 }
    private var paddedPlane: Int { (geometry.height + 2) * rowStride }
    private var blocks: Int { (outChannels + Self.block - 1) / Self.block }
    private var taps: Int { geometry.channels * 9 }
    private var taskSize: Int {
        geometry.channels * paddedPlane + blocks * Self.block * taps * Self.lanes + geometry.inputPlane
    }

    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        let (g, c, oc) = (geometry, geometry.channels, outChannels)
        let leaves = WinogradGradientLeaves(
            summation: BatchSummation(samples: n), channels: c, outChannels: oc, partials: partialGradients)
        let tasks = leaves.tasks(on: pool), taskSize = taskSize
        if scratch.count != tasks * taskSize {
            // The borders and the zero plane are never written.
            scratch.resize(to: [tasks * taskSize])
            scratch.fill(0)
        }
        let (inputImage, outputImage, plane) = (c * g.inputPlane, oc * g.inputPlane, g.inputPlane)
        let (paddedPlane, rowStride, taps, padded) = (paddedPlane, rowStride, taps, leaves.paddedChannels)
        let lanesCount = blocks * Self.block * taps * Self.lanes
        leaves.accumulate(
            outputGradient: outputGradient, plane: plane, pool: pool, weightGradient: weightGradient,
            biasGradient: biasGradient
        ) { t, images, partial in
            let staged = scratch.data + t * taskSize, sums = staged + c * paddedPlane
            let zeroPlane = UnsafePointer(sums + lanesCount)
            sums.update(repeating: 0, count: lanesCount)
            for image in images {
                let x = input + image * inputImage, dy = outputGradient + image * outputImage
                for i in 0..<c {
                    for y in 0..<g.height {
                        (staged + i * paddedPlane + (y + 1) * rowStride + 1).update(
                            from: x + i * plane + y * g.width, count: g.width)
                    }
                }
                for o0 in Swift.stride(from: 0, to: oc, by: Self.block) {
                    let gradient = { (j: Int) in o0 + j < oc ? dy + (o0 + j) * plane : zeroPlane }
                    let gradients = (gradient(0), gradient(1), gradient(2), gradient(3))
                    for i in 0..<c {
                        for ky in 0..<3 {
                            Self.sweep(
                                staged + i * paddedPlane + ky * rowStride, rowStride: rowStride, gradients,
                                height: g.height, width: g.width,
                                sums: sums + ((o0 * c + i * Self.block) * 9 + 3 * ky) * Self.lanes)
                        }
                    }
                }
            }
            // Tap (ky, kx) of output channel o and input channel i, laid out as the leaves keep it.
            for o in 0..<oc {
                let (block, j) = o.quotientAndRemainder(dividingBy: Self.block)
                for i in 0..<c {
                    for tap in 0..<9 {
                        let lanes = sums + (((block * c + i) * Self.block + j) * 9 + tap) * Self.lanes
                        partial[(tap * c + i) * padded + o] = Elementwise.horizontalSum(Lanes.load(lanes))
                    }
                }
            }
        }
    }

    /// sums (4 output channels, each 3 taps of 16 lanes, the channels 9 taps apart) += per lane,
    /// the sum over the map of each gradient times the staged input row `ky` below it, shifted by
    /// the tap's column.
    @inline(__always)
    private static func sweep(
        _ rows: UnsafePointer<Float>, rowStride: Int,
        _ gradients: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        height: Int, width: Int, sums: UnsafeMutablePointer<Float>
    ) {
        let (d0, d1, d2, d3) = gradients
        func load(_ o: Int, _ kx: Int) -> Lanes { Lanes.load(sums + (9 * o + kx) * lanes) }
        var (s00, s01, s02) = (load(0, 0), load(0, 1), load(0, 2))
        var (s10, s11, s12) = (load(1, 0), load(1, 1), load(1, 2))
        var (s20, s21, s22) = (load(2, 0), load(2, 1), load(2, 2))
        var (s30, s31, s32) = (load(3, 0), load(3, 1), load(3, 2))
        for y in 0..<height {
            let row = rows + y * rowStride
            for x0 in Swift.stride(from: 0, to: width, by: lanes) {
                let p = y * width + x0
                let g0 = Lanes.load(d0 + p), g1 = Lanes.load(d1 + p)
                let g2 = Lanes.load(d2 + p), g3 = Lanes.load(d3 + p)
                var v = Lanes.load(row + x0)
                s00.addProduct(g0, v); s10.addProduct(g1, v); s20.addProduct(g2, v); s30.addProduct(g3, v)
                v = Lanes.load(row + x0 + 1)
                s01.addProduct(g0, v); s11.addProduct(g1, v); s21.addProduct(g2, v); s31.addProduct(g3, v)
                v = Lanes.load(row + x0 + 2)
                s02.addProduct(g0, v); s12.addProduct(g1, v); s22.addProduct(g2, v); s32.addProduct(g3, v)
            }
        }
        func store(_ o: Int, _ a: Lanes, _ b: Lanes, _ c: Lanes) {
            a.store(to: sums + 9 * o * lanes)
            b.store(to: sums + (9 * o + 1) * lanes)
            c.store(to: sums + (9 * o + 2) * lanes)
        }
        store(0, s00, s01, s02)
        store(1, s10, s11, s12)
        store(2, s20, s21, s22)
        store(3, s30, s31, s32)
    }
}
