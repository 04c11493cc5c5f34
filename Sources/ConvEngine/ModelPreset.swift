/// The architectures that can be named on the command line.
public enum ModelPreset: String, CaseIterable, Sendable {
    /// The CNN of PyTorch's CIFAR-10 tutorial (`Net`), layer for layer.
    case lenet

    /// A one-line description for help texts.
    public var description: String {
        switch self {
        case .lenet: "PyTorch tutorial LeNet: conv5 6, pool, conv5 16, pool, fc 120, 84, classes (62k params on CIFAR)"
        }
    }

    /// Builds the network for images of the given shape, initialised like PyTorch's defaults from
    /// a generator seeded with `seed`.
    public func build(input: (channels: Int, height: Int, width: Int), classes: Int, seed: UInt64,
                      pool: ThreadPool) -> Model {
        var generator = RandomGenerator(seed: seed)
        let inputShape = [input.channels, input.height, input.width]
        switch self {
        case .lenet:
            return lenet(inputShape: inputShape, classes: classes, generator: &generator, pool: pool)
        }
    }

    private func lenet(inputShape: [Int], classes: Int, generator: inout RandomGenerator, pool: ThreadPool) -> Model {
        let conv1 = Conv2d(inputShape[0], 6, kernelSize: 5, generator: &generator, pool: pool)
        let conv2 = Conv2d(6, 16, kernelSize: 5, generator: &generator, pool: pool)
        let features: [(name: String, layer: any Layer)] = [
            ("conv1", conv1), ("relu1", ReLU(pool: pool)), ("pool1", MaxPool2d(kernelSize: 2, pool: pool)),
            ("conv2", conv2), ("relu2", ReLU(pool: pool)), ("pool2", MaxPool2d(kernelSize: 2, pool: pool)),
            ("flatten", Flatten()),
        ]
        let flat = Sequential(features).outputShape(for: inputShape)[0]
        let head: [(name: String, layer: any Layer)] = [
            ("fc1", Linear(flat, 120, generator: &generator, pool: pool)), ("relu3", ReLU(pool: pool)),
            ("fc2", Linear(120, 84, generator: &generator, pool: pool)), ("relu4", ReLU(pool: pool)),
            ("fc3", Linear(84, classes, generator: &generator, pool: pool)),
        ]
        return Model(name: rawValue, inputShape: inputShape, layers: features + head)
    }
}
