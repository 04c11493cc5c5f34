extension ModelPreset {
    /// The `resnet6` network file.
    static let resnet6Text = """
        # A ResNet-6 for small grey images: widths 16, 32, 64, each conv max-pooled, so most of the
        # work is at half and quarter size; a residual block on the eighth-size features, then global
        # average pooling. The pools come before batch norm, as in fast CIFAR-10 recipes: normalising
        # a quarter of the values cut a training step by a tenth at the same accuracy.
        conv1: conv 16 kernel=3 padding=same bias=false
        pool1: maxpool 2
        bn1: batchnorm
        relu
        conv2: conv 32 kernel=3 padding=same bias=false
        pool2: maxpool 2
        bn2: batchnorm
        relu
        conv3: conv 64 kernel=3 padding=same bias=false
        pool3: maxpool 2
        bn3: batchnorm
        relu
        res1: residual {
            conv1: conv 64 kernel=3 padding=same bias=false
            bn1: batchnorm
            relu
            conv2: conv 64 kernel=3 padding=same bias=false
            bn2: batchnorm
            relu
        }
        gap: globalavgpool
        flatten: flatten
        fc: linear classes

        """
}
