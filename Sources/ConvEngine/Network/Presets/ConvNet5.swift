extension ModelPreset {
    /// The `convnet5` network file.
    static let convnet5Text = """
        # Five 3x3 conv + batch-norm + ReLU layers and one linear layer: the benchmark net of issue 6.
        conv1: conv 32 kernel=3 padding=same bias=false
        bn1: batchnorm
        relu
        conv2: conv 32 kernel=3 padding=same bias=false
        bn2: batchnorm
        relu
        pool1: maxpool 2
        conv3: conv 64 kernel=3 padding=same bias=false
        bn3: batchnorm
        relu
        conv4: conv 64 kernel=3 padding=same bias=false
        bn4: batchnorm
        relu
        pool2: maxpool 2
        conv5: conv 128 kernel=3 padding=same bias=false
        bn5: batchnorm
        relu
        pool3: maxpool 2
        flatten: flatten
        fc: linear classes

        """
}
