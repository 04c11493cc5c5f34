/// The architectures that can be named on the command line.
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

    /// Builds the network for images of the given shape, initialised like PyTorch's defaults from
    /// a generator seeded with `seed`.
    public func build(input: (channels: Int, height: Int, width: Int), classes: Int, seed: UInt64,
                      pool: ThreadPool) -> Model {
        var builder = PresetBuilder(generator: RandomGenerator(seed: seed), pool: pool)
        let inputShape = [input.channels, input.height, input.width]
        let features: [(name: String, layer: any Layer)]
        switch self {
        case .lenet:
            features = [
                builder.conv("conv1", input.channels, 6, kernel: 5, padding: 0, bias: true), builder.relu("relu1"),
                builder.maxPool("pool1"),
                builder.conv("conv2", 6, 16, kernel: 5, padding: 0, bias: true), builder.relu("relu2"),
                builder.maxPool("pool2"),
            ]
        case .convnet5:
            features = builder.convBNReLU(1, input.channels, 32) + builder.convBNReLU(2, 32, 32) + [builder.maxPool("pool1")]
                + builder.convBNReLU(3, 32, 64) + builder.convBNReLU(4, 64, 64) + [builder.maxPool("pool2")]
                + builder.convBNReLU(5, 64, 128) + [builder.maxPool("pool3")]
        case .resnet9:
            features = builder.resnet9(input.channels, width: 16)
        case .resnet9small:
            features = builder.resnet9(input.channels, width: 8)
        case .resnet6:
            features = builder.resnet6(input.channels, width: 16)
        }
        let flat = Sequential(features).outputShape(for: inputShape).reduce(1, *)
        let head: [(name: String, layer: any Layer)]
        switch self {
        case .lenet:
            head = [
                builder.linear("fc1", flat, 120), builder.relu("relu3"),
                builder.linear("fc2", 120, 84), builder.relu("relu4"),
                builder.linear("fc3", 84, classes),
            ]
        case .convnet5, .resnet9, .resnet9small, .resnet6:
            head = [builder.linear("fc", flat, classes)]
        }
        return Model(name: rawValue, inputShape: inputShape, layers: features + [("flatten", Flatten())] + head)
    }
}

/// Creates named layers in the order PyTorch's twin initialises them, from one generator.
private struct PresetBuilder {
    var generator: RandomGenerator
    let pool: ThreadPool

    mutating func conv(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, padding: Int,
                       bias: Bool) -> (name: String, layer: any Layer) {
        (name, Conv2d(inChannels, outChannels, kernelSize: kernel, padding: padding, bias: bias,
                      generator: &generator, pool: pool))
    }

    mutating func linear(_ name: String, _ inFeatures: Int, _ outFeatures: Int) -> (name: String, layer: any Layer) {
        (name, Linear(inFeatures, outFeatures, generator: &generator, pool: pool))
    }

    func relu(_ name: String) -> (name: String, layer: any Layer) { (name, ReLU(pool: pool)) }

    func maxPool(_ name: String) -> (name: String, layer: any Layer) { (name, MaxPool2d(kernelSize: 2, pool: pool)) }

    /// `conv<i>` (3x3, padding 1, no bias), then `bn<i>` with its ReLU fused in (a ReLU has no
    /// state, so the state_dict names stay those of PyTorch's conv, bn, relu).
    mutating func convBNReLU(_ index: Int, _ inChannels: Int, _ outChannels: Int) -> [(name: String, layer: any Layer)] {
        [conv("conv\(index)", inChannels, outChannels, kernel: 3, padding: 1, bias: false),
         ("bn\(index)", BatchNorm2d(outChannels, relu: true, pool: pool))]
    }

    /// Myrtle's ResNet-9 with widths w, 2w, 4w, 8w and global average pooling instead of max.
    mutating func resnet9(_ channels: Int, width w: Int) -> [(name: String, layer: any Layer)] {
        convBNReLU(1, channels, w)
            + convBNReLU(2, w, 2 * w) + [maxPool("pool1"), residual("res1", 2 * w)]
            + convBNReLU(3, 2 * w, 4 * w) + [maxPool("pool2")]
            + convBNReLU(4, 4 * w, 8 * w) + [maxPool("pool3"), residual("res2", 8 * w)]
            + [("gap", GlobalAvgPool())]
    }

    /// Widths w, 2w, 4w, each conv followed by a 2x2 max pool, so most of the work is at half and
    /// quarter size; a residual block on the last (eighth-size) features, then global average pooling.
    /// The pools come before batch norm, as in fast CIFAR-10 recipes: normalising a quarter of the
    /// values cut a training step by a tenth at the same accuracy.
    mutating func resnet6(_ channels: Int, width w: Int) -> [(name: String, layer: any Layer)] {
        convPoolBNReLU(1, channels, w) + convPoolBNReLU(2, w, 2 * w) + convPoolBNReLU(3, 2 * w, 4 * w)
            + [residual("res1", 4 * w), ("gap", GlobalAvgPool())]
    }

    mutating func convPoolBNReLU(_ index: Int, _ inChannels: Int, _ outChannels: Int) -> [(name: String, layer: any Layer)] {
        [conv("conv\(index)", inChannels, outChannels, kernel: 3, padding: 1, bias: false), maxPool("pool\(index)"),
         ("bn\(index)", BatchNorm2d(outChannels, relu: true, pool: pool))]
    }

    /// x + relu(bn2(conv2(relu(bn1(conv1(x)))))) at constant width.
    mutating func residual(_ name: String, _ channels: Int) -> (name: String, layer: any Layer) {
        let body = Sequential(convBNReLU(1, channels, channels) + convBNReLU(2, channels, channels))
        return (name, Residual(body: body, pool: pool))
    }
}
