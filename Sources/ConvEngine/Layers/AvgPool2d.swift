/// Average pooling without padding, floor rounding, as `torch.nn.AvgPool2d(kernel, stride)`.
///
/// input (N, C, H, W), output (N, C, OH, OW); the (image, channel) planes are split over threads.
public final class AvgPool2d: Layer {
    private let planes: PlanePooling

    /// `stride` defaults to the kernel size, as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, pool: ThreadPool) {
        planes = PlanePooling(layerName: "AvgPool2d", kernelSize: kernelSize, stride: stride, pool: pool)
    }

    public var kernelSize: Int { planes.kernelSize }
    public var stride: Int { planes.stride }
    public var summary: String { planes.summary }
    public func outputShape(for inputShape: [Int]) -> [Int] { planes.outputShape(for: inputShape) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        planes.forward(input) { _, x, y in Pooling.averageForward(x, planes.geometry, output: y) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        planes.backward(outputGradient) { _, dy, dx in Pooling.averageBackward(dy, planes.geometry, inputGradient: dx) }
    }
}
