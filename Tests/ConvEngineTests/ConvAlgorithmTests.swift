import ConvEngine
import Testing

/// Which algorithm `Conv2d` runs: chosen per layer and input size, or forced.
@Suite struct ConvAlgorithmTests {
    private static let pool = ThreadPool(threads: 1)

    private func algorithms(_ preset: ModelPreset, input: (Int, Int, Int) = (3, 32, 32)) -> [String] {
        preset.build(input: input, classes: 10, seed: 0, pool: Self.pool).convolutionAlgorithms
            .map { "\($0.name) \($0.algorithm)" }
    }

    /// LeNet's 5x5 convolutions have few channels: the direct kernels.
    @Test func lenetRunsDirect() {
        #expect(algorithms(.lenet) == ["conv1 direct", "conv2 direct"])
    }

    /// Every 3x3 layer runs Winograd: on 32x32, 16x16 and 8x8 maps, the 3-channel first layer too
    /// (into 32 channels on 32-wide maps, where F(4x4)'s output rows stream).
    @Test func convnet5RunsWinogradThroughout() {
        #expect(
            algorithms(.convnet5) == [
                "conv1 winograd", "conv2 winograd", "conv3 winograd", "conv4 winograd", "conv5 winograd",
            ])
    }

    /// ResNet-9's convolutions, residual blocks included (128 + 128 channels on 4x4 maps suit
    /// Winograd), named as in its `state_dict`; its first layer (3->16) is too thin for Winograd.
    @Test func resnet9RunsWinogradAfterAnImplicitGEMM() {
        #expect(
            algorithms(.resnet9) == [
                "conv1 implicit-gemm", "conv2 winograd", "res1.conv1 winograd", "res1.conv2 winograd", "conv3 winograd",
                "conv4 winograd", "res2.conv1 winograd", "res2.conv2 winograd",
            ])
        let model = ModelPreset.resnet9.build(input: (3, 32, 32), classes: 10, seed: 0, pool: Self.pool)
        #expect(model.convolutionSummary == "winograd x7, implicit-gemm x1")
    }

    /// In bf16, every 3x3 "same" layer runs the bf16 direct kernels where the CPU has them, the
    /// first one included; otherwise the fp32 choices, but a 3-channel first layer keeps the
    /// implicit GEMM's fp32 forward pass rather than round its transformed pixels to bf16.
    @Test func bf16ModelsRunTheBF16DirectKernels() {
        for preset in [ModelPreset.convnet5, .resnet9] {
            let model = preset.build(input: (3, 32, 32), classes: 10, seed: 0, pool: Self.pool)
            let fp32 = model.convolutionAlgorithms.map(\.algorithm)
            model.precision = .bf16
            let bf16 = model.convolutionAlgorithms.map(\.algorithm)
            let expected =
                ConvAlgorithm.bf16Direct.isSupported
                ? fp32.map { _ in .bf16Direct } : [.implicitGEMM] + fp32.dropFirst()
            #expect(bf16 == expected, "\(preset)")
        }
    }

    /// ResNet-6 on Fashion-MNIST: the one-channel first layer is too thin for Winograd; F(4x4)'s
    /// images in the lanes serve the 14x14, 7x7 and 3x3 maps after it.
    @Test func resnet6OnSmallImagesRunsWinogradAfterAnImplicitGEMM() {
        #expect(
            algorithms(.resnet6, input: (1, 28, 28)) == [
                "conv1 implicit-gemm", "conv2 winograd", "conv3 winograd", "res1.conv1 winograd",
                "res1.conv2 winograd",
            ])
    }

    /// Strided layers, and wide layers with wide kernels and no padding, suit only im2col.
    @Test func otherLayersRunIm2col() {
        var generator = RandomGenerator(seed: 1)
        let strided = Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1, generator: &generator, pool: Self.pool)
        let wide = Conv2d(32, 64, kernelSize: 5, generator: &generator, pool: Self.pool)
        #expect(strided.suitableAlgorithms(for: [16, 16, 16]) == [.im2col])
        #expect(wide.suitableAlgorithms(for: [32, 12, 12]) == [.im2col])
        #expect(strided.algorithm(for: [16, 16, 16]) == .im2col)
    }

    /// The same layer on other image sizes: maps narrower than F(4x4)'s 3 columns take the
    /// small-plane product, every other one Winograd.
    @Test func theChoiceFollowsTheImageSize() {
        var generator = RandomGenerator(seed: 1)
        let conv = Conv2d(64, 64, kernelSize: 3, padding: 1, generator: &generator, pool: Self.pool)
        #expect(conv.suitableAlgorithms(for: [64, 2, 2]) == [.smallPlane, .implicitGEMM, .im2col])
        #expect(conv.suitableAlgorithms(for: [64, 3, 3]) == [.winograd, .implicitGEMM, .im2col])
        #expect(conv.suitableAlgorithms(for: [64, 7, 7]) == [.winograd, .implicitGEMM, .im2col])
        #expect(conv.algorithm(for: [64, 16, 16]) == .winograd)
    }

    /// A forced algorithm is what the layer reports and runs, on every size it suits.
    @Test func aForcedAlgorithmReplacesTheChoice() {
        var generator = RandomGenerator(seed: 1)
        let conv = Conv2d(32, 32, kernelSize: 3, padding: 1, generator: &generator, pool: Self.pool)
        #expect(conv.algorithm(for: [32, 32, 32]) == .winograd)
        conv.forcedAlgorithm = .implicitGEMM
        #expect(conv.algorithm(for: [32, 32, 32]) == .implicitGEMM)
        #expect(conv.algorithm(for: [32, 7, 7]) == .implicitGEMM)
        conv.forcedAlgorithm = nil
        #expect(conv.algorithm(for: [32, 32, 32]) == .winograd)
    }

    /// Forcing an algorithm that does not suit the layer stops the process instead of running
    /// another one silently.
    @Test func aForcedAlgorithmThatDoesNotSuitIsAPreconditionFailure() async {
        await #expect(processExitsWith: .failure) {
            var generator = RandomGenerator(seed: 1)
            let conv = Conv2d(3, 6, kernelSize: 5, generator: &generator, pool: ThreadPool(threads: 1))
            conv.forcedAlgorithm = .winograd
            _ = conv.forward(Tensor(shape: [1, 3, 12, 12]), training: false)
        }
    }
}
