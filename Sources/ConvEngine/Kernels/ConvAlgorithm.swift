/// How `Conv2d` computes a convolution, and the one place that decides it: which algorithm suits
/// a layer on an input size, which one runs, and which kernels then compute its forward pass,
/// weight gradient and input gradient (`ConvKernels`).
///
/// A layer runs the first algorithm, in the order of the cases, that suits it; every layer suits
/// `im2col`. Each `suits` rule says where that algorithm pays, with the measurements behind it.
public enum ConvAlgorithm: String, CaseIterable, Sendable, CustomStringConvertible {
    /// `DirectConv`: SIMD loops over the images in place, for narrow stride-1 layers with wide
    /// kernels (LeNet's), whose im2col GEMM would be skinny.
    case direct
    /// `SmallPlaneConv`: one GEMM per batch with the weight unrolled over every pair of pixels,
    /// for maps no larger than the kernel.
    case smallPlane = "small-plane"
    /// `BF16DirectConv`: all three passes of 3x3 "same" layers in bf16 on AMX tiles, when the
    /// layer's precision is bf16 and the CPU runs them.
    case bf16Direct = "bf16-direct"
    /// Winograd's minimal filtering for all three passes of 3x3 "same" layers with enough
    /// channels: on maps 3 wide or more F(4x4, 3x3) (`WinogradF4Conv`), otherwise F(2x2, 3x3)
    /// (`WinogradConv`); in bf16 with element-wise products in bf16.
    case winograd
    /// `ImplicitGEMMConv` for the forward pass of stride-1 "same"-padded layers (and, from 64
    /// channels on, their input gradient); the weight gradient is im2col + GEMM, or for first
    /// layers of at most 4 channels `NarrowWeightGradient`.
    case implicitGEMM = "implicit-gemm"
    /// `Im2colConv`: each image unfolded into a columns matrix and multiplied by the weight.
    case im2col = "im2col-gemm"

    public var description: String { rawValue }

    /// Whether this CPU runs the algorithm's kernels: `bf16Direct` needs AMX-BF16 and the OS's
    /// leave to use the tiles.
    public var isSupported: Bool { self == .bf16Direct ? BF16DirectConv.isSupported : true }

    /// The algorithm a layer whose images have geometry `g` runs in `precision` when none is
    /// forced: the first that suits it.
    static func chosen(for g: ConvGeometry, outChannels: Int, precision: Precision = .fp32) -> ConvAlgorithm {
        allCases.first { $0.suits(g, outChannels: outChannels, precision: precision) } ?? .im2col
    }

    /// Whether the algorithm suits a layer with `outChannels` outputs on images of geometry `g`
    /// whose products run in `precision`.
    func suits(_ g: ConvGeometry, outChannels: Int, precision: Precision = .fp32) -> Bool {
        switch self {
        case .direct:
            // Narrow layers whose im2col GEMM would be skinny, with kernels at least as wide as
            // the weight-gradient block: a 3-wide kernel leaves 2 of its 5 columns idle, and
            // im2col's backward was 3x faster on resnet6's 1->16 conv of 28x28 maps.
            g.stride == 1 && g.padding < g.kernel && g.kernel >= DirectConv.gradientColumns && outChannels <= 16
                && g.channels <= 16
        case .smallPlane:
            // The unrolled product does H*W / K^2 times im2col's multiply-adds (zero taps
            // included), so it only pays up to maps as small as the kernel: on 4x4 maps with 128
            // channels it was slower. F(4x4, 3x3) does 36 multiplies per channel pair on a 3x3 map
            // where the unrolled product does 81: resnet6's residual block (64 channels on 3x3
            // maps, batch 128, 2 threads, fp32) took 3.05 ms instead of 3.9. Where the AMX kernels
            // take the layer, it stays here.
            g.inputPlane <= g.kernel * g.kernel
                && (Self.bf16Direct.suits(g, outChannels: outChannels, precision: precision)
                    || !Self.winogradF4Suits(g, outChannels: outChannels, precision: precision))
        case .bf16Direct:
            // Every 3x3 "same" layer: one tile product does 8,192 multiply-adds, far more than
            // Winograd's 2.25x fewer products save (see docs/PERFORMANCE.md).
            precision.available == .bf16 && BF16DirectConv.isSupported && g.kernel == 3 && g.isSamePadded
        case .winograd:
            Self.winogradSuits(g, outChannels: outChannels, precision: precision)
        case .implicitGEMM:
            g.isSamePadded
        case .im2col:
            true
        }
    }

    /// Layers with fewer channels than this keep the implicit GEMM: the transforms cost as much
    /// as the multiplies they save when a GEMM's depth (C) or height (OC) is small.
    static let winogradMinimumChannels = 16

    /// 3x3 "same" layers with 16 channels or more on both sides. F(4x4, 3x3) puts images in its
    /// lanes, so every map it suits (3 wide or more) fills them: against the implicit GEMM,
    /// whole layers (forward, backward) of resnet6 at batch 128, 2 threads, took 3.1 ms instead of
    /// 5.2 (16->32 on 14x14) and 2.5 instead of 4.8 (32->64 on 7x7).
    ///
    /// Otherwise (F(2x2, 3x3), tile rows in the lanes), maps whose tile rows fill the transforms'
    /// 16 lanes (32 wide or more, 16 wide, or 8 wide with 96 channels in and out together), or
    /// with 256 channels together, or where that sum times the map's width comes to 2048. Other
    /// maps leave lanes idle or pad many partial tiles, and few channels make short GEMMs. Whole
    /// layers against the implicit GEMM with im2col weight gradients, batch 128, 2 threads,
    /// alternating in one process, time ratios: 16->16 on 32x32 0.71, 0.61; 32->32 on 32x32 0.50,
    /// 0.75; 16->16 on 16x16 0.75, 0.65; 16->32 on 16x16 0.76, 0.89; 32->64 on 16x16 0.63, 0.64;
    /// 64->64 on 16x16 0.64, 0.59; 32->64 on 8x8 0.96, 0.88; 64->128 on 8x8 0.87, 0.74; 128->128
    /// on 4x4 0.82, 0.91. Left out: 16->32 on 8x8 1.13, 1.00; 16->32 on 14x14 1.20, 1.16; 32->64
    /// on 7x7 1.06, 1.12; 64->64 on 4x4 1.20, 1.22.
    ///
    /// The rule is symmetric in the channel counts but for F(4x4)'s first layers, and F(4x4) runs
    /// the input gradient (the transposed layer) whenever it runs the forward pass.
    private static func winogradSuits(_ g: ConvGeometry, outChannels: Int, precision: Precision) -> Bool {
        if winogradF4Suits(g, outChannels: outChannels, precision: precision) { return true }
        let channels = g.channels + outChannels
        let fillsLanes = g.width >= 32 || g.width == 16 || (g.width == 8 && channels >= 96)
        return hasWinogradShape(g, outChannels: outChannels)
            && (fillsLanes || channels >= 256 || channels * g.width >= 2048)
    }

    /// 3x3 "same" layers with enough channels on both sides.
    private static func hasWinogradShape(_ g: ConvGeometry, outChannels: Int) -> Bool {
        g.kernel == 3 && g.isSamePadded && g.channels >= winogradMinimumChannels
            && outChannels >= winogradMinimumChannels
    }

    /// The Winograd layers F(4x4, 3x3) runs: those with enough channels on both sides, and in fp32
    /// first layers of at most 4 channels into 32 or more on maps 32 wide or more, whose output
    /// transform streams whole rows: `convnet5`'s 3->32 on 32x32 at batch 128, 2 threads, took
    /// 1.3 / 2.3 ms forward / backward against the implicit GEMM's 1.7 / 3.7 (its batch norm then
    /// reads the outputs from memory: 1.4 -> 1.6 ms). 3->16 on 32x32 (`resnet9`) came out level,
    /// and `resnet6`'s 1->16 on 28x28 slower. In bf16 the first layer keeps the implicit GEMM's
    /// fp32 forward pass: F(4x4) would round its transformed pixels to bf16, and the wide net's
    /// 30-epoch CIFAR-10 run with it (seed 0) ended at 93.54% where the four seeds before had
    /// given 93.74-94.30%.
    private static func winogradF4Suits(_ g: ConvGeometry, outChannels: Int, precision: Precision) -> Bool {
        let firstLayer =
            precision.available == .fp32 && g.kernel == 3 && g.isSamePadded && g.channels <= 4
            && outChannels >= 32 && g.width >= 32
        return (hasWinogradShape(g, outChannels: outChannels) || firstLayer) && WinogradF4Conv.suits(g)
    }

    /// Whether the input gradient of an implicit-GEMM layer on images `g` is an implicit GEMM too:
    /// only with 64 input channels or more and planes of two slivers or more. Each unfolded sliver
    /// serves one tile per 8 output channels, so with few of them the unfold is not paid back.
    /// Measured at batch 128 against GEMM + col2im, whole backward pass: 1.10x the time with 32
    /// channels on 32x32 maps, 1.13x with 32 on 7x7, 1.27x with 128 on 4x4 (half of each sliver
    /// idle), 0.96x with 64 on 16x16, 0.98x with 64 on 8x8.
    static func implicitInputGradientPays(_ g: ConvGeometry) -> Bool {
        g.isSamePadded && g.channels >= 64 && g.inputPlane >= 2 * MicroKernel.columns
    }
}

/// The forward pass of a convolution kernel built for one layer on one input size.
protocol ConvForward: AnyObject {
    /// output (N, OC, OH, OW) = conv(input (N, C, H, W)) + bias, overwritten; `weight` is
    /// (OC, C, K, K).
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>)
}

/// A forward pass that can also take its weight as the input gradient's kernel needs it, from the
/// layer it is the transpose of, without a flipped copy.
protocol TransposingConvForward: ConvForward {
    /// `forward` with the weight of the transposed layer (its (C, OC, K, K)) turned by 180 degrees.
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, flippingWeight weight: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>)
}

/// The weight and bias gradients of a convolution kernel built for one layer on one input size.
protocol ConvWeightGradient: AnyObject {
    /// Adds dLoss/dweight (OC, C, K, K) and dLoss/dbias (OC) into `weightGradient` and
    /// `biasGradient`, from the input (N, C, H, W) and dLoss/doutput (N, OC, OH, OW).
    func accumulateWeightGradient(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?)
}

/// A kernel that computes the input gradient in the same sweep as the weight gradient, sharing
/// what both read (unfolded columns, staged images, the unrolled weight).
protocol ConvBackward: AnyObject {
    /// Adds dLoss/dweight and dLoss/dbias into `weightGradient` and `biasGradient` and, when
    /// `inputGradient` is given, overwrites it with dLoss/dinput (N, C, H, W); `weight` is (OC, C, K, K).
    func backward(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?)
}

/// The kernels that run one layer on one input size, as its algorithm assigns them to the passes.
final class ConvKernels {
    /// How the backward pass is computed.
    enum Backward {
        /// One kernel computes every gradient in one sweep.
        case together(any ConvBackward)
        /// One kernel computes the weight and bias gradients; the input gradient is another
        /// kernel's forward pass over dLoss/doutput with the flipped weight (the transposed layer,
        /// stride 1, same padding).
        case apart(weightGradient: any ConvWeightGradient, inputGradient: any ConvForward)
    }

    let algorithm: ConvAlgorithm
    let geometry: ConvGeometry
    let outChannels: Int
    let precision: Precision
    let forward: any ConvForward
    let backward: Backward
    /// The weight of `Backward.apart`'s input gradient.
    private let flippedWeight = Tensor(shape: [0])

    /// The kernels of `algorithm` for a layer with `outChannels` outputs on images `g`; the
    /// algorithm must suit the layer.
    init(
        _ algorithm: ConvAlgorithm, geometry g: ConvGeometry, outChannels: Int, precision: Precision = .fp32,
        pool: ThreadPool
    ) {
        precondition(
            algorithm.suits(g, outChannels: outChannels, precision: precision),
            "\(algorithm) does not suit a \(g.channels)->\(outChannels) k\(g.kernel) s\(g.stride) "
                + "p\(g.padding) convolution on \(g.height)x\(g.width) images")
        self.algorithm = algorithm
        geometry = g
        self.outChannels = outChannels
        self.precision = precision
        var transposed = g
        transposed.channels = outChannels
        switch algorithm {
        case .bf16Direct:
            (forward, backward) = Self.withTransposed(g, outChannels) {
                BF16DirectConv($0, outChannels: $1, pool: pool)
            }
        case .direct:
            let kernel = DirectConv(g, outChannels: outChannels, pool: pool)
            (forward, backward) = (kernel, .together(kernel))
        case .smallPlane:
            let kernel = SmallPlaneConv(g, outChannels: outChannels, pool: pool)
            (forward, backward) = (kernel, .together(kernel))
        case .winograd where WinogradF4Conv.suits(g):
            (forward, backward) = Self.withTransposed(g, outChannels) {
                WinogradF4Conv($0, outChannels: $1, precision: precision, pool: pool)
            }
        case .winograd:
            (forward, backward) = Self.withTransposed(g, outChannels) {
                WinogradConv($0, outChannels: $1, precision: precision, pool: pool)
            }
        case .implicitGEMM:
            forward = ImplicitGEMMConv(g, outChannels: outChannels, pool: pool)
            let narrow = NarrowWeightGradient.suits(g)
            if narrow || ConvAlgorithm.implicitInputGradientPays(g) {
                let weightGradient: any ConvWeightGradient =
                    narrow
                    ? NarrowWeightGradient(g, outChannels: outChannels, pool: pool)
                    : Im2colConv(g, outChannels: outChannels, precision: precision, pool: pool)
                backward = .apart(
                    weightGradient: weightGradient,
                    inputGradient: ImplicitGEMMConv(transposed, outChannels: g.channels, pool: pool))
            } else {
                backward = .together(Im2colConv(g, outChannels: outChannels, precision: precision, pool: pool))
            }
        case .im2col:
            let kernel = Im2colConv(g, outChannels: outChannels, precision: precision, pool: pool)
            (forward, backward) = (kernel, .together(kernel))
        }
    }

    /// The kernel `make` builds for a layer (geometry, output channels) as its forward pass and
    /// weight gradient, and the one it builds for the transposed layer as its input gradient.
    private static func withTransposed<Kernel: ConvForward & ConvWeightGradient>(
        _ g: ConvGeometry, _ outChannels: Int, _ make: (ConvGeometry, Int) -> Kernel
    ) -> (any ConvForward, Backward) {
        var transposed = g
        transposed.channels = outChannels
        let kernel = make(g, outChannels)
        return (kernel, .apart(weightGradient: kernel, inputGradient: make(transposed, g.channels)))
    }

    /// Adds dLoss/dweight and dLoss/dbias into `weightGradient` and `biasGradient` and, when
    /// `inputGradient` is given, overwrites it with dLoss/dinput (N, C, H, W).
    func backward(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        switch backward {
        case .together(let kernel):
            kernel.backward(
                input, images: n, outputGradient: outputGradient, weight: weight,
                weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
        case .apart(let weightKernel, let inputKernel):
            weightKernel.accumulateWeightGradient(
                input, images: n, outputGradient: outputGradient,
                weightGradient: weightGradient, biasGradient: biasGradient)
            guard let inputGradient else { return }
            if let inputKernel = inputKernel as? any TransposingConvForward {
                inputKernel.forward(outputGradient, images: n, flippingWeight: weight, output: inputGradient)
                return
            }
            FlippedWeight.write(
                weight, outChannels: outChannels, inChannels: geometry.channels,
                taps: geometry.kernel * geometry.kernel, into: flippedWeight)
            inputKernel.forward(outputGradient, images: n, weight: flippedWeight.data, bias: nil, output: inputGradient)
        }
    }
}
