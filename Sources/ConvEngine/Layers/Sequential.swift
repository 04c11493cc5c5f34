/// Named layers applied one after another; parameter names are `<layer name>.<parameter name>`,
/// as in a PyTorch module whose attributes carry those names.
///
/// A ReLU directly followed by a max pool runs after it instead: max commutes with ReLU, so the
/// outputs and gradients are the same (a window whose maximum is not positive passes no gradient
/// either way), while the ReLU touches a quarter of the values.
public final class Sequential: Layer {
    public let layers: [(name: String, layer: any Layer)]
    /// `layers` in the order they run.
    public let runOrder: [(name: String, layer: any Layer)]

    public init(_ layers: [(name: String, layer: any Layer)]) {
        self.layers = layers
        var steps = layers
        for i in steps.indices.dropLast() where steps[i].layer is ReLU && steps[i + 1].layer is MaxPool2d {
            steps.swapAt(i, i + 1)
        }
        runOrder = steps
    }

    public var parameters: [Parameter] {
        layers.flatMap { entry in entry.layer.parameters.map { $0.prefixed(entry.name) } }
    }

    public var buffers: [NamedTensor] {
        layers.flatMap { entry in entry.layer.buffers.map { $0.prefixed(entry.name) } }
    }

    public var summary: String { "Sequential(\(layers.count) layers)" }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.layer.outputShape(for: $0) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        runOrder.reduce(input) { $1.layer.forward($0, training: training) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        runOrder.reversed().reduce(outputGradient) { $1.layer.backward($0) }
    }
}
