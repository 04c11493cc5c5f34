/// The sizes of one 2-D sliding-window operation (convolution or pooling) on one image.
struct ConvGeometry: Equatable {
    var channels: Int
    var height: Int
    var width: Int
    var kernel: Int
    var stride: Int
    var padding: Int

    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    var inputPlane: Int { height * width }
    var outputPlane: Int { outHeight * outWidth }
    /// Rows of the im2col matrix: one per (channel, kernel row, kernel column).
    var columnRows: Int { channels * kernel * kernel }
    /// Stride 1 with "same" padding (2 * padding = kernel - 1): output planes are input-sized.
    var isSamePadded: Bool { stride == 1 && 2 * padding == kernel - 1 }
}
