/// The architectures that can be named on the command line, each a network file in
/// `Network/Presets/`.
///
/// Every preset's parameter and buffer names and shapes equal those of its PyTorch twin in
/// `Tests/Reference/make_reference.py`.
public enum ModelPreset: String, CaseIterable, Sendable, Codable {
    /// The CNN of PyTorch's CIFAR-10 tutorial (`Net`), layer for layer.
    case lenet
    /// Five 3x3 conv + batch-norm + ReLU layers and one linear layer: the benchmark net of issue 6.
    case convnet5
    /// A quarter-width ResNet-9 (Myrtle's DAWNBench net): 8 convs with batch norm, two residual
    /// blocks, global average pooling; the strong default for CIFAR-10.
    case resnet9
    /// The same ResNet-9 at eighth width, a quarter of the work per image: for budgets like
    /// Fashion-MNIST in a minute.
    case resnet9small
    /// A ResNet-6 for small grey images that pools after every conv (16 channels at full size,
    /// 32 at half, 64 at a quarter) and ends in one residual block: a fifth of resnet9's work per
    /// image; the default for Fashion-MNIST in a minute.
    case resnet6

    /// A one-line description for help texts.
    public var description: String {
        switch self {
        case .lenet: "PyTorch tutorial LeNet: conv5x5 6, pool, conv5x5 16, pool, fc 120, 84 (62k params on CIFAR)"
        case .convnet5: "5 conv3x3+BN+ReLU (32,32,pool,64,64,pool,128,pool) + linear (160k params on CIFAR)"
        case .resnet9: "ResNet-9 at quarter width (16,32,64,128) with BN and 2 residual blocks (413k params)"
        case .resnet9small: "ResNet-9 at eighth width (8,16,32,64) with BN and 2 residual blocks (104k params)"
        case .resnet6: "3 conv+BN+ReLU+pool (16,32,64), a residual block at 64, avg pool (98k params)"
        }
    }

    /// The preset's network file.
    public var text: String {
        switch self {
        case .lenet: Self.lenetText
        case .convnet5: Self.convnet5Text
        case .resnet9: Self.resnet9Text
        case .resnet9small: Self.resnet9smallText
        case .resnet6: Self.resnet6Text
        }
    }

    /// The preset's network file, parsed.
    public var network: NetworkFile {
        do {
            return try NetworkFile(text: text, file: rawValue, name: rawValue)
        } catch {
            preconditionFailure("the built-in network \(rawValue) does not parse: \(error)")
        }
    }

    /// The network for images of `input` (channels, height, width) and `classes` classes; throws
    /// when the images are too small for it.
    public func resolve(input: (channels: Int, height: Int, width: Int), classes: Int) throws(NetworkError)
        -> ResolvedNetwork
    {
        try network.resolve(inputShape: [input.channels, input.height, input.width], classes: classes)
    }

    /// Builds the network for images of the given shape, initialised like PyTorch's defaults from
    /// a generator seeded with `seed`. The images must be large enough for the network (see
    /// `resolve` for an error instead).
    public func build(
        input: (channels: Int, height: Int, width: Int), classes: Int, seed: UInt64,
        pool: ThreadPool
    ) -> Model {
        do {
            return Model(network: try resolve(input: input, classes: classes), seed: seed, pool: pool)
        } catch {
            preconditionFailure("\(error)")
        }
    }
}
