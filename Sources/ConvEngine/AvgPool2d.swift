/// Average pooling without padding, floor rounding, as `torch.nn.AvgPool2d(kernel, stride)`.
///
/// input (N, C, H, W), output (N, C, OH, OW); planes are split over threads.
public final class AvgPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var geometry = ConvGeometry(channels: 0, height: 0, width: 0, kernel: 1, stride: 1, padding: 0)

    /// `stride` defaults to the kernel size, as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, pool: ThreadPool) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.pool = pool
    }

    public var summary: String { "AvgPool2d(k\(kernelSize) s\(stride))" }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = planeGeometry(inputShape)
        return [inputShape[0], g.outHeight, g.outWidth]
    }

    private func planeGeometry(_ sampleShape: [Int]) -> ConvGeometry {
        precondition(sampleShape.count == 3, "AvgPool2d expects (C, H, W) inputs, got \(sampleShape)")
        return ConvGeometry(channels: 1, height: sampleShape[1], width: sampleShape[2],
                            kernel: kernelSize, stride: stride, padding: 0)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let g = planeGeometry(Array(input.shape.dropFirst()))
        geometry = g
        let planes = input.shape[0] * input.shape[1]
        output.resize(to: [input.shape[0], input.shape[1], g.outHeight, g.outWidth])
        inputGradient.resize(to: input.shape)
        let (x, y) = (input.data, output.data)
        pool.forEachChunk(count: planes, minimumChunk: max(1, 4096 / g.inputPlane)) { r in
            for p in r { Pooling.averageForward(x + p * g.inputPlane, g, output: y + p * g.outputPlane) }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let g = geometry
        let planes = inputGradient.shape[0] * inputGradient.shape[1]
        let (dy, dx) = (outputGradient.data, inputGradient.data)
        pool.forEachChunk(count: planes, minimumChunk: max(1, 4096 / g.inputPlane)) { r in
            for p in r { Pooling.averageBackward(dy + p * g.outputPlane, g, inputGradient: dx + p * g.inputPlane) }
        }
        return inputGradient
    }
}
