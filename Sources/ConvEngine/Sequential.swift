/// Named layers applied one after another; parameter names are `<layer name>.<parameter name>`,
/// as in a PyTorch module whose attributes carry those names.
public final class Sequential: Layer {
    public let layers: [(name: String, layer: any Layer)]

    public init(_ layers: [(name: String, layer: any Layer)]) {
        self.layers = layers
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
        layers.reduce(input) { $1.layer.forward($0, training: training) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.layer.backward($0) }
    }
}
