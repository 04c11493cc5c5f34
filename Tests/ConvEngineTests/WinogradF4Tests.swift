import ConvEngine
import Testing

/// `WinogradF4Conv` (F(4x4, 3x3), 16 images in the lanes) against exact (Double) convolutions. In
/// fp32 every product and sum rounds, so outputs and input gradients may be off by the fp32
/// allowance of `WinogradScheme.convolution` (2^-23 per operation on the magnitudes the transformed
/// terms reach), which is larger for F(4x4) than for F(2x2): its transforms reach 4x the inputs.
/// The weight gradient, G^T [sum over tiles of dM . V] G, is bounded the same way.
@Suite struct WinogradF4Tests {
    static let cases = [
        // Whole blocks: 16 images, four tiles per item, two items per tile row.
        ConvLayerCase(channels: 32, outChannels: 32, height: 32, width: 32, batch: 16, threads: 2),
        // A block of one image after a full one; partial tiles at the right and bottom edges, and
        // channel counts off the 8-channel tiles.
        ConvLayerCase(channels: 17, outChannels: 20, height: 15, width: 13, batch: 17, threads: 1),
        // 64 channels on maps two tiles wide.
        ConvLayerCase(channels: 64, outChannels: 40, height: 8, width: 8, batch: 18, threads: 2),
        // A chunk of one tile at the end of each tile row (11 tiles of 4), three blocks.
        ConvLayerCase(channels: 24, outChannels: 16, height: 9, width: 42, batch: 33, threads: 2),
        // Maps one tile wide: two blocks per item, the second of three images; the weight gradient
        // gathers each leaf's operands (`gathersLeaf`), as in the next case.
        ConvLayerCase(channels: 40, outChannels: 24, height: 4, width: 4, batch: 35, threads: 2),
        // A batch under 16 images: one block with idle lanes.
        ConvLayerCase(channels: 16, outChannels: 24, height: 10, width: 12, batch: 3, threads: 2),
        // Maps narrower and shorter than a tile (resnet6's residual block on 3x3), two blocks per item;
        // in bf16 too, the gathered weight gradient.
        ConvLayerCase(channels: 64, outChannels: 64, height: 3, width: 3, batch: 20, threads: 2),
        // resnet6's 7x7 maps: the second tile of each row and column has one valid line.
        ConvLayerCase(channels: 32, outChannels: 64, height: 7, width: 7, batch: 16, threads: 2),
        // 256 channels: the longest sums.
        ConvLayerCase(channels: 256, outChannels: 32, height: 4, width: 8, batch: 3, threads: 2),
        // A first layer: 3 channels into 32 on 32x32 maps (its input gradient 32 into 3).
        ConvLayerCase(channels: 3, outChannels: 32, height: 32, width: 32, batch: 16, threads: 2),
        // Two tiles per item above 64 channels: five tiles a row in three chunks, the last of one.
        ConvLayerCase(channels: 72, outChannels: 16, height: 12, width: 20, batch: 3, threads: 2),
        // A map too large for one band of the input per block (64 channels of 66 padded columns
        // give bands of three tile rows): three whole bands and one of a tile row, in the forward
        // pass and the weight gradient.
        ConvLayerCase(channels: 64, outChannels: 24, height: 40, width: 64, batch: 3, threads: 2),
    ]

    static func layer(_ kase: ConvLayerCase, threads: Int, precision: Precision = .fp32) -> Conv2d {
        var generator = RandomGenerator(seed: 9)
        let conv = Conv2d(
            kase.channels, kase.outChannels, kernelSize: 3, padding: 1, bias: false, generator: &generator,
            pool: ThreadPool(threads: threads))
        conv.precision = precision
        conv.forcedAlgorithm = .winograd
        return conv
    }

    /// One training step of `conv` on x and dy: its outputs and input gradient, and the worst
    /// error / bound of its outputs, input gradient and weight gradient under F(4x4)'s bound, whose
    /// element-wise products may each be off by `productBound` of their operands' magnitudes.
    static func run(
        _ conv: Conv2d, x: Tensor, dy: Tensor, productBound: Double = 0
    ) -> (y: [Float], dx: [Float], forward: Double, input: Double, weight: Double) {
        let scheme = WinogradScheme.f4
        let y = conv.forward(x, training: true).values
        let dx = conv.backward(dy).values
        let (forward, input) = scheme.worstRatios(
            x: x, dy: dy, y: y, dx: dx, weight: conv.weight.value.values.map(Double.init),
            productBound: productBound)
        let sums = scheme.weightGradient(
            WinogradScheme.Planes.images(of: x), WinogradScheme.Planes.images(of: dy), productBound: productBound)
        return (y, dx, forward, input, WinogradScheme.worst(conv.weight.gradient.values, sums.exact, sums.bound))
    }

    @Test(arguments: cases)
    func passesAreWithinTheFP32Bound(_ kase: ConvLayerCase) {
        let (c, oc, h, w, n) = (kase.channels, kase.outChannels, kase.height, kase.width, kase.batch)
        let conv = Self.layer(kase, threads: kase.threads)
        var generator = RandomGenerator(seed: 4)
        let x = PrecisionTests.randomTensor([n, c, h, w], &generator)
        let dy = PrecisionTests.randomTensor([n, oc, h, w], &generator)
        let (y, dx, forward, input, weightError) = Self.run(conv, x: x, dy: dy)
        #expect(forward <= 1, "forward: worst error / bound \(forward)")
        #expect(input <= 1, "input gradient: worst error / bound \(input)")
        #expect(weightError <= 1, "weight gradient: worst error / bound \(weightError)")

        // Every output element has one writer, and the weight gradient's leaves are added in a
        // fixed order: the other thread count gives the same bits.
        let other = Self.layer(kase, threads: 3 - kase.threads)
        #expect(other.forward(x, training: true).values.map(\.bitPattern) == y.map(\.bitPattern))
        #expect(other.backward(dy).values.map(\.bitPattern) == dx.map(\.bitPattern))
        #expect(
            other.weight.gradient.values.map(\.bitPattern) == conv.weight.gradient.values.map(\.bitPattern))
    }

    /// In bf16 every pass's products take bf16-rounded operands: U and V forward (and in the
    /// input gradient, the transposed layer's forward pass), V and dM in the weight gradient, each
    /// product off by up to (2u + u^2) times its operands' magnitudes with u = 2^-8, as
    /// `WinogradBF16Tests` derives for F(2x2).
    @Test(
        .enabled(if: BF16GEMM.isSupported, "this CPU has no AVX512-BF16"),
        arguments: [cases[1], cases[2], cases[6], cases[7], cases[11]])
    func bf16ProductsAreWithinTheTransformedBF16Bound(_ kase: ConvLayerCase) {
        let (c, oc, h, w, n) = (kase.channels, kase.outChannels, kase.height, kase.width, kase.batch)
        let conv = Self.layer(kase, threads: kase.threads, precision: .bf16)
        var generator = RandomGenerator(seed: 4)
        let x = PrecisionTests.randomTensor([n, c, h, w], &generator)
        let dy = PrecisionTests.randomTensor([n, oc, h, w], &generator)
        let (y, dx, forward, input, weightError) = Self.run(
            conv, x: x, dy: dy, productBound: WinogradBF16Tests.productBound)
        #expect(forward <= 1, "forward: worst error / bound \(forward)")
        #expect(input <= 1, "input gradient: worst error / bound \(input)")
        #expect(weightError <= 1, "weight gradient: worst error / bound \(weightError)")
        // Well above the fp32 allowance alone: bf16 ran.
        #expect(forward > 0.01 && input > 0.01 && weightError > 0.01, "\(forward) \(input) \(weightError)")
        let other = Self.layer(kase, threads: 3 - kase.threads, precision: .bf16)
        #expect(other.forward(x, training: true).values.map(\.bitPattern) == y.map(\.bitPattern))
        #expect(other.backward(dy).values.map(\.bitPattern) == dx.map(\.bitPattern))
        #expect(
            other.weight.gradient.values.map(\.bitPattern) == conv.weight.gradient.values.map(\.bitPattern))
    }

    /// An image's outputs never leave its lane: they are the same bits whichever images share its
    /// block, wherever in the block it sits and whatever the batch's size.
    @Test func anImagesOutputsDoNotDependOnItsBatch() {
        let kase = Self.cases[0]
        let (c, h, w) = (kase.channels, kase.height, kase.width), size = c * h * w
        let conv = Self.layer(kase, threads: 2)
        var generator = RandomGenerator(seed: 6)
        let x = PrecisionTests.randomTensor([20, c, h, w], &generator)
        let all = conv.forward(x, training: false).values, outSize = kase.outChannels * h * w
        // Images 3 ..< 19 as a batch of their own: image 3 moves from lane 3 of the first block to
        // lane 0, image 16 from a block of four to lane 13 of a full one.
        let shifted = Tensor(shape: [16, c, h, w], values: Array(x.values[(3 * size)..<(19 * size)]))
        let alone = conv.forward(shifted, training: false).values
        #expect(
            alone.map(\.bitPattern) == all[(3 * outSize)..<(19 * outSize)].map(\.bitPattern))
        // Images 5 ..< 8 as a batch of three: one block with 13 idle lanes.
        let few = Tensor(shape: [3, c, h, w], values: Array(x.values[(5 * size)..<(8 * size)]))
        #expect(
            conv.forward(few, training: false).values.map(\.bitPattern)
                == all[(5 * outSize)..<(8 * outSize)].map(\.bitPattern))
    }
}
