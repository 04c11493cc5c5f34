/// A network with a fixed input shape: a `Sequential` of named layers plus the bookkeeping a
/// training loop and a checkpoint need.
///
/// Parameter and buffer names are PyTorch `state_dict` names (`conv1.weight`, `bn1.running_mean`).
public final class Model {
    /// The preset or architecture name, for summaries and checkpoints.
    public let name: String
    /// The shape of one input image: (channels, height, width).
    public let inputShape: [Int]
    public let network: Sequential
    /// Every learnable tensor with its gradient, in `state_dict` order.
    public let namedParameters: [Parameter]
    /// Every non-learned state tensor (batch-norm statistics), in `state_dict` order.
    public let namedBuffers: [NamedTensor]
    /// The network file the layers were built from, with every shape; nil for a model assembled
    /// from layers in code.
    public let architecture: ResolvedNetwork?

    public init(
        name: String, inputShape: [Int], layers: [(name: String, layer: any Layer)],
        architecture: ResolvedNetwork? = nil
    ) {
        self.name = name
        self.inputShape = inputShape
        self.architecture = architecture
        network = Sequential(layers)
        namedParameters = network.parameters
        namedBuffers = network.buffers
        if let first = layers.first?.layer as? Conv2d { first.computesInputGradient = false }
        _ = network.outputShape(for: inputShape)
    }

    /// The operands' format in the products of every convolution and linear layer (see
    /// `Precision`); parameters, gradients and batch-norm statistics stay fp32 either way.
    public var precision = Precision.fp32 {
        didSet {
            forEachLayer(in: network.layers) { layer in
                switch layer {
                case let conv as Conv2d: conv.precision = precision
                case let linear as Linear: linear.precision = precision
                default: break
                }
            }
        }
    }

    /// What every batch-norm layer sums its statistics over (see `BatchNorm2d.synchronizer`); nil
    /// normalises each process's rows by their own statistics.
    public var batchStatisticsSynchronizer: (any BatchStatisticsSynchronizer)? {
        didSet {
            forEachLayer(in: network.layers) { ($0 as? BatchNorm2d)?.synchronizer = batchStatisticsSynchronizer }
        }
    }

    /// The shape of one output row, normally [classes].
    public var outputShape: [Int] { network.outputShape(for: inputShape) }

    /// The number of learnable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.value.count } }

    /// input (N, C, H, W) -> logits (N, classes). The result is reused by the next call.
    /// `training` selects batch statistics in batch norm and enables dropout.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(
            Array(input.shape.dropFirst()) == inputShape,
            "model \(name) expects (N, \(inputShape.map(String.init).joined(separator: ", "))) input, got \(input.shape)"
        )
        return network.forward(input, training: training)
    }

    /// Back-propagates dLoss/dLogits (N, classes) from the latest `forward`, adding into every
    /// parameter's gradient.
    public func backward(_ lossGradient: Tensor) {
        _ = network.backward(lossGradient)
    }

    /// Sets every parameter gradient to zero; call before each step's `backward`.
    public func zeroGradients() {
        for parameter in namedParameters { parameter.gradient.fill(0) }
    }

    /// Parameters followed by buffers, as PyTorch's `state_dict()` lists them per module.
    public var stateDict: [NamedTensor] {
        namedParameters.map { NamedTensor(name: $0.name, value: $0.value) } + namedBuffers
    }

    /// Copies every parameter and buffer from `tensors` by name. Throws, changing nothing, when a
    /// name is missing or a shape differs; other names in `tensors` are ignored.
    public func load(_ tensors: [String: Tensor]) throws {
        try stateDict.load(from: tensors)
    }

    /// One line per layer with its output shape and parameter count, then the total.
    public var summary: String {
        var lines = ["\(name): input \(inputShape.map(String.init).joined(separator: "x"))"]
        var shape = inputShape
        for (name, layer) in network.layers {
            shape = layer.outputShape(for: shape)
            let count = layer.parameters.reduce(0) { $0 + $1.value.count }
            let shapeText = shape.map(String.init).joined(separator: "x")
            lines.append(
                "  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                    + "\(layer.summary.padding(toLength: 34, withPad: " ", startingAt: 0)) -> \(shapeText)"
                    + (count > 0 ? "  (\(count) params)" : ""))
        }
        lines.append("total \(parameterCount) parameters")
        return lines.joined(separator: "\n")
    }
}

extension Model {
    /// Each convolution's name (its `state_dict` prefix, such as `res1.conv1`) and the algorithm
    /// it runs on this model's input shape, in the order of the `state_dict`.
    public var convolutionAlgorithms: [(name: String, algorithm: ConvAlgorithm)] {
        convolutions(in: network.layers, input: inputShape).map { ($0.name, $0.layer.algorithm(for: $0.inputShape)) }
    }

    /// How many convolutions run each algorithm, most first, such as "winograd x7, implicit-gemm x1",
    /// followed by ", bf16 products" when the products run in bf16.
    public var convolutionSummary: String {
        let algorithms = convolutionAlgorithms.map(\.algorithm)
        let counts = ConvAlgorithm.allCases.map { algorithm in (algorithm, algorithms.count { $0 == algorithm }) }
        let summary = counts.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.map { "\($0.0) x\($0.1)" }.joined(
            separator: ", ")
        return precision == .fp32 ? summary : summary + ", \(precision) products"
    }
}

extension Model {
    /// Every dropout layer's path (`drop1`, `stage.0.drop`) and the generator its masks come from,
    /// in the order of the network: the state beyond the tensors that a resumed run needs to draw
    /// the masks an uninterrupted run would have drawn.
    public var dropoutGenerators: [(name: String, generator: RandomGenerator)] {
        dropouts.map { ($0.name, $0.layer.generator) }
    }

    /// Sets the generator of each dropout layer named in `generators` (saved from
    /// `dropoutGenerators`); a name that is no dropout layer of this model is passed over.
    public func restoreDropoutGenerators(_ generators: [String: RandomGenerator]) {
        for (name, layer) in dropouts { layer.generator = generators[name] ?? layer.generator }
    }

    private var dropouts: [(name: String, layer: Dropout)] {
        flattened(network.layers).compactMap { entry in (entry.layer as? Dropout).map { (entry.name, $0) } }
    }
}

/// `layers` and every layer inside their sequences and residual blocks, depth first, each under
/// its `state_dict` path below `prefix`.
private func flattened(_ layers: [(name: String, layer: any Layer)], prefix: String = "")
    -> [(name: String, layer: any Layer)]
{
    layers.flatMap { name, layer -> [(name: String, layer: any Layer)] in
        let path = prefix + name
        switch layer {
        case let sequence as Sequential:
            return [(path, layer)] + flattened(sequence.layers, prefix: path + ".")
        case let block as Residual:
            return [(path, layer)] + flattened(block.body.layers, prefix: path + ".")
                + (block.shortcut.map { flattened($0.layers, prefix: path + ".shortcut.") } ?? [])
        default:
            return [(path, layer)]
        }
    }
}

/// Every convolution among `layers` (and inside their sequences and residual blocks), with its
/// `state_dict` prefix under `prefix` and the shape of its input samples, when the first layer's
/// samples have shape `input`.
func convolutions(in layers: [(name: String, layer: any Layer)], input: [Int], prefix: String = "")
    -> [(name: String, layer: Conv2d, inputShape: [Int])]
{
    var shape = input
    var found: [(name: String, layer: Conv2d, inputShape: [Int])] = []
    for (name, layer) in layers {
        let path = prefix + name
        switch layer {
        case let conv as Conv2d:
            found.append((path, conv, shape))
        case let sequence as Sequential:
            found += convolutions(in: sequence.layers, input: shape, prefix: path + ".")
        case let block as Residual:
            found += convolutions(in: block.body.layers, input: shape, prefix: path + ".")
            if let shortcut = block.shortcut {
                found += convolutions(in: shortcut.layers, input: shape, prefix: path + ".shortcut.")
            }
        default:
            break
        }
        shape = layer.outputShape(for: shape)
    }
    return found
}

/// Calls `body` with every layer in `layers` and, inside sequences and residual blocks, every
/// nested one.
private func forEachLayer(in layers: [(name: String, layer: any Layer)], _ body: (any Layer) -> Void) {
    for (_, layer) in layers {
        body(layer)
        switch layer {
        case let sequence as Sequential: forEachLayer(in: sequence.layers, body)
        case let block as Residual:
            forEachLayer(in: block.body.layers, body)
            if let shortcut = block.shortcut { forEachLayer(in: shortcut.layers, body) }
        default: break
        }
    }
}
