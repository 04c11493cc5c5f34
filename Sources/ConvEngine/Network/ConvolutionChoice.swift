extension ResolvedLayer.Convolution {
    /// The kernel `Conv2d` runs for this layer on `height` x `width` inputs, in the order it
    /// tries them: `direct`, `small-plane`, `winograd`, `implicit-gemm` (same-padded stride-1
    /// forward passes), else `im2col+gemm`.
    func algorithm(height: Int, width: Int) -> String {
        let g = ConvGeometry(channels: inChannels, height: height, width: width, kernel: kernel, stride: stride, padding: padding)
        if DirectConv.suits(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding) {
            return "direct"
        }
        if SmallPlaneConv.suits(g) { return "small-plane" }
        if SamePaddedConv.suits(g) { return WinogradConv.suits(g, outChannels: outChannels) ? "winograd" : "implicit-gemm" }
        return "im2col+gemm"
    }
}
