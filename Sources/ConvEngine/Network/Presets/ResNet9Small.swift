extension ModelPreset {
    /// The `resnet9small` network file.
    static let resnet9smallText = """
        # resnet9 at eighth width: a quarter of the work per image, for budgets like Fashion-MNIST in a minute.
        conv1: conv 8 kernel=3 padding=same bias=false
        bn1: batchnorm
        relu
        conv2: conv 16 kernel=3 padding=same bias=false
        bn2: batchnorm
        relu
        pool1: maxpool 2
        res1: residual {
            conv1: conv 16 kernel=3 padding=same bias=false
            bn1: batchnorm
            relu
            conv2: conv 16 kernel=3 padding=same bias=false
            bn2: batchnorm
            relu
        }
        conv3: conv 32 kernel=3 padding=same bias=false
        bn3: batchnorm
        relu
        pool2: maxpool 2
        conv4: conv 64 kernel=3 padding=same bias=false
        bn4: batchnorm
        relu
        pool3: maxpool 2
        res2: residual {
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
