import Testing
import ConvEngine

/// The unrolled-weight kernel of convolutions on tiny maps against im2col + GEMM on the same layer.
@Suite struct SmallPlaneConvTests {
    /// (channels, out channels, height, width, kernel, stride, padding, batch): resnet6's residual
    /// convs (64 channels on 3x3 maps), then maps smaller than the kernel, a stride of 2, a 5x5
    /// kernel, and a batch of one. All too wide for `DirectConv`, or strided.
    @Test(arguments: [
        (64, 64, 3, 3, 3, 1, 1, 5), (20, 24, 2, 2, 3, 1, 1, 3), (17, 30, 1, 1, 3, 1, 1, 4),
        (6, 8, 3, 3, 3, 2, 1, 3), (18, 20, 5, 5, 5, 1, 2, 2), (40, 33, 3, 3, 3, 1, 0, 1),
    ])
    func matchesIm2colGEMM(c: Int, oc: Int, h: Int, w: Int, k: Int, stride: Int, padding: Int, batch: Int) {
        expectSpecialisedKernelMatchesIm2col(c: c, oc: oc, h: h, w: w, kernel: k, stride: stride, padding: padding,
                                             batch: batch)
    }

    /// A layer first run on tiny maps and then on larger ones leaves the unrolled kernel and still
    /// agrees with im2col, and back again.
    @Test func changingTheImageSizeSwitchesKernels() {
        for (h, w) in [(3, 3), (6, 6), (3, 3)] {
            expectSpecialisedKernelMatchesIm2col(c: 24, oc: 20, h: h, w: w, kernel: 3, stride: 1, padding: 1, batch: 2)
        }
    }
}
