/// One step of a network: a forward pass that keeps what its backward pass needs.
///
/// Contract (llm.c style):
/// - `forward` returns a tensor the layer owns and reuses on the next call; callers must not
///   modify it. The layer may keep a reference to `input` until `backward`.
/// - `backward` takes dLoss/dOutput for the most recent `forward` and returns dLoss/dInput in a
///   buffer the layer owns (overwritten, not accumulated). Parameter gradients accumulate (`+=`),
///   so several backward passes add up until the gradients are zeroed.
/// - Shapes carry the batch as the outermost dimension; any batch size works, buffers grow only
///   when a larger batch arrives.
public protocol Layer: AnyObject {
    /// The output shape of one sample (no batch dimension) for the shape of one input sample.
    func outputShape(for inputShape: [Int]) -> [Int]
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Learnable tensors, named relative to this layer (`weight`, `bias`, `conv1.weight`).
    var parameters: [Parameter] { get }
    /// Tensors that are state but not learned (`running_mean`), named relative to this layer.
    var buffers: [NamedTensor] { get }
    /// A short description for the model summary, such as `Conv2d(3->6, k5 s1 p0)`.
    var summary: String { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [NamedTensor] { [] }
}

/// A learnable tensor with its accumulated gradient, under its `state_dict` name.
public struct Parameter {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor

    public init(name: String, value: Tensor, gradient: Tensor) {
        self.name = name
        self.value = value
        self.gradient = gradient
    }

    /// A zero parameter of the given shape with a zero gradient.
    init(name: String, shape: [Int]) {
        self.init(name: name, value: Tensor(shape: shape), gradient: Tensor(shape: shape))
    }

    func prefixed(_ prefix: String) -> Parameter {
        Parameter(name: prefix + "." + name, value: value, gradient: gradient)
    }
}

/// A tensor under its `state_dict` name (buffers, optimizer state).
public struct NamedTensor {
    public let name: String
    public let value: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }

    func prefixed(_ prefix: String) -> NamedTensor {
        NamedTensor(name: prefix + "." + name, value: value)
    }
}

/// Why tensors could not be loaded into a model or optimizer.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case unexpectedTensor(String)

    public var description: String {
        switch self {
        case .missingTensor(let name): "tensor \(name) is missing"
        case .shapeMismatch(let name, let expected, let found):
            "tensor \(name) has shape \(found), the model expects \(expected)"
        case .unexpectedTensor(let name): "tensor \(name) does not belong to this model"
        }
    }
}

extension [NamedTensor] {
    /// Copies each tensor's values from `source[name]`, checking that every name is present and
    /// every shape matches before anything is changed.
    func load(from source: [String: Tensor]) throws {
        for target in self {
            guard let tensor = source[target.name] else { throw EngineError.missingTensor(target.name) }
            guard tensor.shape == target.value.shape else {
                throw EngineError.shapeMismatch(name: target.name, expected: target.value.shape, found: tensor.shape)
            }
        }
        for target in self { target.value.copy(from: source[target.name]!) }
    }
}

/// The PyTorch default bound for Conv2d and Linear weights and biases: kaiming-uniform with
/// a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias uses the same bound.
func fillUniform(_ tensor: Tensor, fanIn: Int, generator: inout RandomGenerator) {
    let bound = 1 / Float(fanIn).squareRoot()
    for i in 0..<tensor.count { tensor[i] = generator.uniform(-bound, bound) }
}
