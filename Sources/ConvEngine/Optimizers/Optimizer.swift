/// Updates a model's parameters from their gradients.
///
/// The learning rate may be changed between any two steps. `namedState` exposes every state
/// tensor under `<parameter name>.<PyTorch state key>` (for example `fc1.weight.momentum_buffer`)
/// so a checkpoint can save and restore it with `loadState`.
public protocol Optimizer: AnyObject {
    /// A short name for summaries and checkpoints, such as `sgd`.
    var name: String { get }
    var learningRate: Double { get set }
    /// Applies one update using the parameters' current gradients.
    func step()
    var namedState: [NamedTensor] { get }
    /// Copies all state tensors by name; throws, changing nothing, on a missing name or a shape mismatch.
    func loadState(_ tensors: [String: Tensor]) throws
}

extension Optimizer {
    public func loadState(_ tensors: [String: Tensor]) throws {
        try namedState.load(from: tensors)
    }
}

/// One state tensor per parameter, shaped like it, named `<parameter>.<key>`.
func stateTensors(for parameters: [Parameter], key: String) -> [NamedTensor] {
    parameters.map { NamedTensor(name: "\($0.name).\(key)", value: Tensor(shape: $0.value.shape)) }
}
