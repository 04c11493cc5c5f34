extension ResolvedLayer.Convolution {
    /// The algorithm `Conv2d` chooses for this layer on `height` x `width` inputs.
    func algorithm(height: Int, width: Int) -> ConvAlgorithm {
        let g = ConvGeometry(
            channels: inChannels, height: height, width: width, kernel: kernel, stride: stride, padding: padding)
        return ConvAlgorithm.chosen(for: g, outChannels: outChannels)
    }
}
