import Testing
import ConvEngine

/// The implicit GEMM of stride-1 "same"-padded convolutions against im2col + GEMM on the same layer.
@Suite struct SamePaddedConvTests {
    /// (channels, out channels, height, width, kernel, stride, padding, batch): convnet5's conv2 and
    /// first layer (whole 32-position slivers), Fashion-MNIST's 7x7 and 14x14 maps (a partial last
    /// sliver), a 4x4 map (a sliver wider than the plane), a non-square map, a 5x5 kernel too wide
    /// for `DirectConv`, channel counts that are not multiples of 8, and a batch of one. The last
    /// three have the 64 input channels from which the input gradient is an implicit GEMM too.
    @Test(arguments: [
        (32, 32, 32, 32, 3, 1, 1, 3), (3, 32, 32, 32, 3, 1, 1, 2), (16, 20, 7, 7, 3, 1, 1, 4),
        (20, 12, 14, 14, 3, 1, 1, 3), (24, 40, 4, 4, 3, 1, 1, 5), (13, 17, 5, 9, 3, 1, 1, 3),
        (40, 24, 9, 11, 5, 1, 2, 2), (33, 9, 8, 8, 3, 1, 1, 1),
        (64, 24, 8, 8, 3, 1, 1, 2), (72, 20, 9, 9, 3, 1, 1, 3), (64, 64, 11, 7, 5, 1, 2, 1),
    ])
    func matchesIm2colGEMM(c: Int, oc: Int, h: Int, w: Int, k: Int, stride: Int, padding: Int, batch: Int) {
        expectSpecialisedKernelMatchesIm2col(c: c, oc: oc, h: h, w: w, kernel: k, stride: stride, padding: padding,
                                             batch: batch)
    }

    /// A layer run on one image size and then another rebuilds its kernels and still agrees.
    @Test func changingTheImageSizeRebuildsTheKernels() {
        for (h, w) in [(16, 16), (7, 7), (16, 16)] {
            expectSpecialisedKernelMatchesIm2col(c: 24, oc: 20, h: h, w: w, kernel: 3, stride: 1, padding: 1, batch: 2)
        }
    }
}
