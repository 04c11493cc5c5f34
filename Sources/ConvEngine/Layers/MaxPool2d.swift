/// Max pooling without padding, floor rounding, as `torch.nn.MaxPool2d(kernel, stride)`.
///
/// input (N, C, H, W), output (N, C, OH, OW); the (image, channel) planes are split over threads.
public final class MaxPool2d: Layer {
    private let planes: PlanePooling
    /// Per output element, the flat index in its input plane of the maximum it took.
    private var argmax: [Int32] = []

    /// `stride` defaults to the kernel size, as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, pool: ThreadPool) {
        planes = PlanePooling(layerName: "MaxPool2d", kernelSize: kernelSize, stride: stride, pool: pool)
    }

    public var kernelSize: Int { planes.kernelSize }
    public var stride: Int { planes.stride }
    public var summary: String { planes.summary }
    public func outputShape(for inputShape: [Int]) -> [Int] { planes.outputShape(for: inputShape) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let outputCount =
            input.shape[0] * input.shape[1]
            * planes.outputShape(for: Array(input.shape.dropFirst()))
            .dropFirst().reduce(1, *)
        if argmax.count < outputCount { argmax = [Int32](repeating: 0, count: outputCount) }
        return argmax.withUnsafeMutableBufferPointer { indices in
            let idx = indices.baseAddress!
            return planes.forward(input) { p, x, y in
                let g = planes.geometry
                Pooling.maxForward(x, g, output: y, argmax: idx + p * g.outputPlane)
            }
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        argmax.withUnsafeBufferPointer { indices in
            let idx = indices.baseAddress!
            return planes.backward(outputGradient) { p, dy, dx in
                let g = planes.geometry
                Pooling.maxBackward(dy, g, argmax: idx + p * g.outputPlane, inputGradient: dx)
            }
        }
    }
}
