import CPrefetch

/// Stride-1 "same"-padded convolution as an implicit GEMM: the columns matrix is never built.
///
/// im2col + GEMM wrote each image's columns matrix (288 x 1024 floats for 32 channels on 32x32
/// maps, more than half of L2) and read it back, and the whole layer ran at a third of the GEMM's
/// speed on the same shape. Here 32 output positions at a time are unfolded straight into one
/// packed B sliver of at most `GEMM.blockDepth` rows, which stays in L1 while the micro-kernel
/// runs every 8-channel tile of the output over it.
///
/// The same kernel gives a layer's input gradient: for stride 1 and same padding, dLoss/dinput is
/// the convolution of dLoss/doutput with the weight's channels swapped and its taps reversed
/// (`FlippedWeight`); `ConvAlgorithm.implicitInputGradientPays` says where that beats col2im.
///
/// Each output element is written by one thread in a fixed order, so results do not depend on
/// the thread count.
final class ImplicitGEMMConv: ConvForward {
    let taps: SamePaddedTaps
    let outChannels: Int
    private let pool: ThreadPool
    /// The weight as the micro-kernel reads it: 8-channel slivers, each `depth` steps of 8 floats.
    private let packedWeight = Tensor(shape: [0])
    /// One B sliver per task.
    private let slivers = Tensor(shape: [0])

    init(_ g: ConvGeometry, outChannels: Int, pool: ThreadPool) {
        taps = SamePaddedTaps(g)
        self.outChannels = outChannels
        self.pool = pool
    }

    var geometry: ConvGeometry { taps.geometry }

    /// output (N, OC, H, W) = conv(input (N, C, H, W)) + bias, overwritten; `weight` is
    /// (OC, C*K*K) row-major.
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, depth = g.columnRows, plane = g.inputPlane
        let tileRows = MicroKernel.rows, width = MicroKernel.columns
        let channelTiles = (outChannels + tileRows - 1) / tileRows
        packedWeight.resize(to: [channelTiles * tileRows * depth])
        MatrixOperand(base: weight, ld: depth, transposed: true)
            .pack(depth: 0..<depth, columns: 0..<outChannels, width: tileRows, into: packedWeight.data)
        let depthStep = GEMM.depthStep(depth)
        let sliversPerImage = (plane + width - 1) / width
        let items = n * sliversPerImage
        let tasks = max(1, min(pool.threadCount, items))
        slivers.resize(to: [tasks, depthStep * width])
        let (a, inSize, outSize) = (UnsafePointer(packedWeight.data), g.channels * plane, outChannels * plane)
        // A first layer's one pass writes outputs that go to memory whole (16.8 MB for 32 channels of
        // 32x32 at batch 128): its full tiles stream.
        let streams = depth <= depthStep && bias == nil && output.storesWholeVectors(runs: plane)
        let body = { (t: Int) in
            let sliver = self.slivers.data + t * depthStep * width
            for item in ThreadPool.chunk(t, of: tasks, count: items) {
                let (image, s) = item.quotientAndRemainder(dividingBy: sliversPerImage)
                let first = s * width, columns = min(width, plane - first)
                let x = input + image * inSize, y = output + image * outSize + first
                for pc in stride(from: 0, to: depth, by: depthStep) {
                    let kc = min(depthStep, depth - pc)
                    self.taps.unfoldSliver(x, rows: pc..<(pc + kc), sliver: s, into: sliver)
                    let update = MicroKernel.Update(alpha: 1, beta: pc == 0 ? 0 : 1, streams: streams)
                    for tile in 0..<channelTiles {
                        let aSliver = a + tile * depth * tileRows + pc * tileRows
                        let rows = min(tileRows, self.outChannels - tile * tileRows)
                        let c = y + tile * tileRows * plane
                        if columns == width {
                            MicroKernel.tile(
                                depth: kc, a: aSliver, b: sliver, bStride: width, c: c, ldc: plane,
                                m: rows, update: update)
                        } else {
                            MicroKernel.edgeTile(
                                depth: kc, a: aSliver, b: sliver, bStride: width, c: c, ldc: plane,
                                m: rows, n: columns, update: update)
                        }
                    }
                }
                if let bias {
                    for oc in 0..<self.outChannels {
                        let row = y + oc * plane
                        for j in 0..<columns { row[j] += bias[oc] }
                    }
                }
            }
            if streams { cstream_fence() }
        }
        pool.run(tasks: tasks, body)
    }
}
