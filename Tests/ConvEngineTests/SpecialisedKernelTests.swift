import ConvEngine
import Testing

/// The kernels `Conv2d` picks instead of im2col + GEMM for tiny maps (`SmallPlaneConv`) and for
/// "same"-padded stride-1 layers (`ImplicitGEMMConv`), against im2col + GEMM on the same layer.
@Suite struct SpecialisedKernelTests {
    /// (channels, out channels, height, width, kernel, stride, padding, batch).
    typealias Shape = (Int, Int, Int, Int, Int, Int, Int, Int)

    /// `SmallPlaneConv`: 3x3 maps with too few channels for Winograd, then maps smaller than the
    /// kernel, a stride of 2, a 5x5 kernel, and a batch of one. All too wide for `DirectConv`, or
    /// strided.
    static let smallPlanes: [Shape] = [
        (12, 64, 3, 3, 3, 1, 1, 5), (20, 24, 2, 2, 3, 1, 1, 3), (17, 30, 1, 1, 3, 1, 1, 4),
        (6, 8, 3, 3, 3, 2, 1, 3), (18, 20, 5, 5, 5, 1, 2, 2), (40, 33, 3, 3, 3, 1, 0, 1),
    ]

    /// `ImplicitGEMMConv` and `WinogradConv`: convnet5's conv2 (Winograd both ways) and first layer
    /// (whole 32-position slivers), Fashion-MNIST's 7x7 and 14x14 maps (a partial last sliver), a
    /// 4x4 map (a sliver wider than the plane), a non-square map, a 5x5 kernel too wide for
    /// `DirectConv`, channel counts that are not multiples of 8, and a batch of one. The next
    /// three have the 64 input channels from which the input gradient is an implicit GEMM too.
    /// The last seven are Winograd both ways: odd sizes (partial tiles, work items spanning two
    /// images), rows of 20 tiles (more than one vector), 256 channels on maps 8 wide (four tile
    /// rows per vector, the last vector of the batch half full), 16 -> 20 channels (partial
    /// channel tiles and vectors), two tile rows per vector on 16 and 15 columns (odd heights put
    /// a vector's rows in two images), and four per vector on 7 columns (in fp32, on maps 3 wide
    /// or more, all of them F(4x4, 3x3) with images in the lanes). The next four have 16 images or
    /// more: whole and partial blocks of 16, partial tiles, one and two tiles per item. The last two
    /// are F(2x2, 3x3)'s, on maps 2 and 1 wide with many channels.
    static let samePadded: [Shape] = [
        (32, 32, 32, 32, 3, 1, 1, 3), (3, 32, 32, 32, 3, 1, 1, 2), (12, 20, 7, 7, 3, 1, 1, 4),
        (20, 12, 14, 14, 3, 1, 1, 3), (24, 40, 4, 4, 3, 1, 1, 5), (13, 17, 5, 9, 3, 1, 1, 3),
        (40, 24, 9, 11, 5, 1, 2, 2), (33, 9, 8, 8, 3, 1, 1, 1),
        (64, 24, 8, 8, 3, 1, 1, 2), (72, 20, 9, 9, 3, 1, 1, 3), (64, 64, 11, 7, 5, 1, 2, 1),
        (40, 48, 17, 25, 3, 1, 1, 3), (32, 32, 16, 40, 3, 1, 1, 2), (256, 32, 4, 8, 3, 1, 1, 3),
        (16, 20, 6, 33, 3, 1, 1, 2), (64, 64, 15, 16, 3, 1, 1, 3), (96, 40, 13, 15, 3, 1, 1, 2),
        (200, 72, 7, 7, 3, 1, 1, 3),
        (32, 32, 32, 32, 3, 1, 1, 17), (16, 20, 15, 13, 3, 1, 1, 18), (64, 64, 8, 8, 3, 1, 1, 16),
        (40, 48, 17, 25, 3, 1, 1, 33), (127, 144, 9, 2, 3, 1, 1, 3), (200, 64, 7, 1, 3, 1, 1, 2),
    ]

    @Test(arguments: smallPlanes + samePadded)
    func matchesIm2colGEMM(c: Int, oc: Int, h: Int, w: Int, k: Int, stride: Int, padding: Int, batch: Int) {
        expectSpecialisedKernelMatchesIm2col(
            c: c, oc: oc, h: h, w: w, kernel: k, stride: stride, padding: padding,
            batch: batch)
    }

    /// A layer run on one image size and then others moves between the unrolled kernel and
    /// Winograd, rebuilding each for the new size, and still agrees with im2col.
    @Test func changingTheImageSizeSwitchesKernels() {
        expectSpecialisedKernelMatchesIm2col(
            c: 64, oc: 40, h: 2, w: 2, kernel: 3, stride: 1, padding: 1, batch: 2,
            laterSizes: [(6, 6), (16, 16), (3, 3), (7, 7), (2, 2), (16, 16)])
    }
}
