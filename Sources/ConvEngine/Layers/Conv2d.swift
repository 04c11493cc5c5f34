/// 2-D convolution with a square kernel, as `torch.nn.Conv2d`.
///
/// input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW).
/// The layer holds its parameters; the arithmetic is done by the kernels of a `ConvAlgorithm`,
/// chosen for each input size (`algorithm(for:)`) and kept until the input size changes.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// False for the first layer of a model, whose input gradient (dLoss/dImage) nobody reads;
    /// `backward` then skips it and returns an empty tensor.
    public var computesInputGradient = true

    /// Runs this algorithm instead of the one chosen for each input size, to compare algorithms
    /// against each other. It must suit the layer on every input size it is given: a forward pass
    /// with one that does not is a precondition failure (see `suitableAlgorithms(for:)`), never a
    /// silent fallback, so that a comparison always runs what it names.
    public var forcedAlgorithm: ConvAlgorithm?

    /// The operands' format in the convolution's products (see `Precision`); it takes part in
    /// choosing the algorithm.
    public var precision = Precision.fp32

    private let pool: ThreadPool
    /// The latest forward's result; Grad-CAM reads it as the layer's activation.
    let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var input: Tensor?
    /// The kernels of the latest forward's input size.
    private var kernels: ConvKernels?

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, generator: inout RandomGenerator, pool: ThreadPool
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.pool = pool
        weight = Parameter(name: "weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        self.bias = bias ? Parameter(name: "bias", shape: [outChannels]) : nil
        let fanIn = inChannels * kernelSize * kernelSize
        fillUniform(weight.value, fanIn: fanIn, generator: &generator)
        if let b = self.bias { fillUniform(b.value, fanIn: fanIn, generator: &generator) }
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public var summary: String {
        "Conv2d(\(inChannels)->\(outChannels), k\(kernelSize) s\(stride) p\(padding)\(bias == nil ? ", no bias" : ""))"
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(inputShape)
        return [outChannels, g.outHeight, g.outWidth]
    }

    private func geometry(_ sampleShape: [Int]) -> ConvGeometry {
        precondition(
            sampleShape.count == 3 && sampleShape[0] == inChannels,
            "Conv2d expects (\(inChannels), H, W) inputs, got \(sampleShape)")
        return ConvGeometry(
            channels: inChannels, height: sampleShape[1], width: sampleShape[2],
            kernel: kernelSize, stride: stride, padding: padding)
    }

    /// The algorithm the layer runs on samples of `inputShape` (C, H, W): the forced one, or else
    /// the first of `suitableAlgorithms(for:)`.
    public func algorithm(for inputShape: [Int]) -> ConvAlgorithm {
        let g = geometry(inputShape)
        if let forcedAlgorithm {
            precondition(
                forcedAlgorithm.suits(g, outChannels: outChannels, precision: precision),
                "\(summary) on \(inputShape) inputs cannot run the forced \(forcedAlgorithm); it suits "
                    + suitableAlgorithms(for: inputShape).map(\.description).joined(separator: ", "))
            return forcedAlgorithm
        }
        return ConvAlgorithm.chosen(for: g, outChannels: outChannels, precision: precision)
    }

    /// The algorithms that suit the layer on samples of `inputShape` (C, H, W), in the order of
    /// preference; the last is always `im2col`.
    public func suitableAlgorithms(for inputShape: [Int]) -> [ConvAlgorithm] {
        let g = geometry(inputShape)
        return ConvAlgorithm.allCases.filter { $0.suits(g, outChannels: outChannels, precision: precision) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.shape[0], sample = Array(input.shape.dropFirst())
        let g = geometry(sample), algorithm = algorithm(for: sample)
        let kernels =
            kernels.flatMap {
                $0.geometry == g && $0.algorithm == algorithm && $0.precision == precision ? $0 : nil
            } ?? ConvKernels(algorithm, geometry: g, outChannels: outChannels, precision: precision, pool: pool)
        self.kernels = kernels
        self.input = input
        output.resize(to: [n, outChannels, g.outHeight, g.outWidth])
        kernels.forward.forward(
            input.data, images: n, weight: weight.value.data, bias: bias?.value.data,
            output: output.data)
        return output
    }

    /// dLoss/dinput for the latest forward, or an empty tensor when `computesInputGradient` is
    /// off; the weight and bias gradients accumulate.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input, let kernels else { preconditionFailure("Conv2d.backward before forward") }
        if computesInputGradient { inputGradient.resize(to: input.shape) }
        kernels.backward(
            input.data, images: input.shape[0], outputGradient: outputGradient.data,
            weight: weight.value.data, weightGradient: weight.gradient.data,
            biasGradient: bias?.gradient.data, inputGradient: computesInputGradient ? inputGradient.data : nil)
        return inputGradient
    }
}
