extension ModelPreset {
    /// The `lenet` network file.
    static let lenetText = """
        # The CNN of PyTorch's CIFAR-10 tutorial (`Net`), layer for layer.
        conv1: conv 6 kernel=5
        relu1: relu
        pool1: maxpool 2
        conv2: conv 16 kernel=5
        relu2: relu
        pool2: maxpool 2
        flatten: flatten
        fc1: linear 120
        relu3: relu
        fc2: linear 84
        relu4: relu
        fc3: linear classes

        """
}
