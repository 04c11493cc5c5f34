import CBF16Kernels

/// 3x3 stride-1 convolutions with padding 1 in bf16 on AMX tiles, with fp32 accumulation (the
/// `cbf16_conv3_*` kernels): what `Precision.bf16` runs for the 3x3 layers that dominate
/// `convnet5` and `resnet9`. On this project's machine `vdpbf16ps` ran at a fifth of the fp32
/// FMA's instruction rate (half its multiply-adds), slower than the fp32 Winograd kernels, while
/// one `tdpbf16ps` does a 16 x 16 x 32 product; PyTorch's bf16 autocast runs its convolutions on
/// the same tiles (oneDNN's `brg_conv_fwd:avx10_1_512_amx`).
///
/// Each image is converted once to bf16 on a padded grid (a zero border, rows a little longer
/// than the map), where 16 consecutive outputs read 16 consecutive inputs per tap: no unfolded
/// matrix, and every product is a multiply-add of the convolution itself, not of Winograd's
/// transformed tiles (whose transforms would add their own rounding to bf16's).
/// - Forward: per tap and 32 input channels, 16 output channels' weights (A) times 32 outputs'
///   channel pairs (B), into 32 output channels x 32 outputs of fp32 tiles.
/// - Input gradient: the forward pass of the transposed layer over dLoss/doutput with the
///   flipped weight (`ConvKernels.Backward.apart`).
/// - Weight gradient: per tap, the output gradient at 32 positions of 16 output channels (A)
///   times the inputs under the tap at the same positions for 16 input channels (B), summed in
///   the tiles over all of a group's images.
///
/// Forward work is split by images (by output-channel blocks as well when there are fewer images
/// than threads); every output has one writer, so the forward pass does not depend on the thread
/// count. Weight-gradient sums are kept per task and added in task order.
final class BF16DirectConv: ConvForward, ConvWeightGradient {
    /// Whether this CPU and OS run the AMX kernels (the first use asks Linux for the tile state).
    static let isSupported = cbf16_conv3_supported()

    let geometry: ConvGeometry
    let outChannels: Int
    private let pool: ThreadPool
    private let packedWeight: BF16Scratch<UInt32>
    /// Per task: one image's channel-pair planes and its products on the grid.
    private let pairs = BF16Scratch<UInt32>(), products = Tensor(shape: [0])
    /// Per task: one image's input planes, then a group of packed gradient images.
    private let planes = BF16Scratch<UInt16>(), gradients = BF16Scratch<UInt32>()
    /// Per task: the weight-gradient sums (9, OC, C), channels rounded up to 16.
    private let sums = Tensor(shape: [0])

    /// Output channels per block of the forward kernel; channels per block of the weight gradient.
    private static let blockChannels = 16
    /// Bytes of packed gradient images per weight-gradient group: each tile of the product sweeps
    /// the group once per tap and block, so the group stays in L2.
    private static let groupBytes = 1 << 20

    init(_ g: ConvGeometry, outChannels: Int, pool: ThreadPool) {
        precondition(
            g.kernel == 3 && g.isSamePadded, "BF16DirectConv needs 3x3 kernels, stride 1 and padding 1, got \(g)")
        precondition(Self.isSupported, "BF16DirectConv needs AMX-BF16; check BF16DirectConv.isSupported first")
        geometry = g
        self.outChannels = outChannels
        self.pool = pool
        packedWeight = BF16Scratch(count: cbf16_conv3_weight_words(outChannels, g.channels))
    }

    private static func padded(_ channels: Int) -> Int {
        (channels + blockChannels - 1) / blockChannels * blockChannels
    }

    /// output (N, OC, H, W) = conv(input (N, C, H, W)) + bias, overwritten; `weight` is
    /// (OC, C, 3, 3).
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        let (c, h, w, oc) = (geometry.channels, geometry.height, geometry.width, outChannels)
        cbf16_conv3_pack_weight(weight, oc, c, packedWeight.pointer)
        // Fewer images than threads: each image's blocks (in pairs, as the kernel takes them) are
        // shared out, and its packing repeated.
        let blockPairs = (Self.padded(oc) / Self.blockChannels + 1) / 2
        let groups = n >= pool.threadCount ? 1 : min(blockPairs, pool.threadCount)
        let items = n * groups, tasks = max(1, min(pool.threadCount, items))
        let imageWords = cbf16_conv3_pairs_words(c, h, w)
        let gridFloats = cbf16_conv3_grid_floats(oc, h, w)
        pairs.reserve(tasks * imageWords)
        products.resize(to: [tasks * gridFloats])
        pool.run(tasks: tasks) { t in
            let packed = self.pairs.pointer + t * imageWords, grid = self.products.data + t * gridFloats
            var packedImage = -1
            for item in ThreadPool.chunk(t, of: tasks, count: items) {
                let (image, group) = item.quotientAndRemainder(dividingBy: groups)
                if image != packedImage {
                    cbf16_conv3_pack_pairs(input + image * c * h * w, c, h, w, packed)
                    packedImage = image
                }
                let part = ThreadPool.chunk(group, of: groups, count: blockPairs)
                cbf16_conv3_forward(
                    packed, c, h, w, self.packedWeight.pointer, oc, 2 * part.lowerBound,
                    min(2 * part.upperBound, Self.padded(oc) / Self.blockChannels), bias, grid,
                    output + image * oc * h * w)
            }
        }
    }

    /// weightGradient (OC, C, 3, 3) += dLoss/dweight and biasGradient (OC) += dLoss/dbias for
    /// input (N, C, H, W) and outputGradient (N, OC, H, W).
    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        let (c, h, w, oc) = (geometry.channels, geometry.height, geometry.width, outChannels)
        let (paddedIn, paddedOut) = (Self.padded(c), Self.padded(oc))
        let planeCount = c * cbf16_conv3_plane(h, w)
        let imageWords = cbf16_conv3_gradient_image_bytes(c, oc, h, w) / MemoryLayout<UInt32>.size
        let group = max(1, min(n, Self.groupBytes / (4 * imageWords)))
        let tasks = max(1, min(pool.threadCount, n)), sumsSize = 9 * paddedOut * paddedIn
        planes.reserve(tasks * planeCount)
        gradients.reserve(tasks * group * imageWords)
        sums.resize(to: [tasks * sumsSize])
        pool.run(tasks: tasks) { t in
            let taskPlanes = self.planes.pointer + t * planeCount
            let taskImages = self.gradients.pointer + t * group * imageWords
            let taskSums = self.sums.data + t * sumsSize
            taskSums.update(repeating: 0, count: sumsSize)
            let images = ThreadPool.chunk(t, of: tasks, count: n)
            for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
                let count = min(group, images.upperBound - first)
                for i in 0..<count {
                    cbf16_conv3_pack_gradient_image(
                        input + (first + i) * c * h * w, outputGradient + (first + i) * oc * h * w, c, oc, h, w,
                        taskPlanes, taskImages + i * imageWords)
                }
                cbf16_conv3_weight_gradient(taskImages, count, c, oc, h, w, taskSums)
            }
        }
        // Task sums are added in task order, so results do not depend on scheduling.
        let total = sums.data
        for t in 1..<tasks {
            Elementwise.accumulate(total + t * sumsSize, into: total, count: sumsSize)
        }
        for o in 0..<oc {
            for i in 0..<c {
                let target = weightGradient + (o * c + i) * 9
                for tap in 0..<9 { target[tap] += total[(tap * paddedOut + o) * paddedIn + i] }
            }
        }
        if let biasGradient {
            Elementwise.accumulateBiasGradient(
                outputGradient, images: n, channels: oc, plane: geometry.inputPlane, into: biasGradient, pool: pool)
        }
    }
}
