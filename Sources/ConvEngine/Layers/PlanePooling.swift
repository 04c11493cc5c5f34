/// What the pooling layers share: the window geometry of one (H, W) plane, the output and
/// input-gradient buffers, and the split of the N*C independent planes over threads.
final class PlanePooling {
    let kernelSize: Int
    let stride: Int
    let output = Tensor(shape: [0])
    let inputGradient = Tensor(shape: [0])
    private(set) var geometry = ConvGeometry(channels: 1, height: 0, width: 0, kernel: 1, stride: 1, padding: 0)
    private let pool: ThreadPool
    private let layerName: String

    init(layerName: String, kernelSize: Int, stride: Int?, pool: ThreadPool) {
        self.layerName = layerName
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.pool = pool
    }

    var summary: String { "\(layerName)(k\(kernelSize) s\(stride))" }

    func planeGeometry(_ sampleShape: [Int]) -> ConvGeometry {
        precondition(sampleShape.count == 3, "\(layerName) expects (C, H, W) inputs, got \(sampleShape)")
        return ConvGeometry(
            channels: 1, height: sampleShape[1], width: sampleShape[2],
            kernel: kernelSize, stride: stride, padding: 0)
    }

    func outputShape(for inputShape: [Int]) -> [Int] {
        let g = planeGeometry(inputShape)
        return [inputShape[0], g.outHeight, g.outWidth]
    }

    /// Sizes the buffers for input (N, C, H, W) and calls `body(p, x_p, y_p)` for every plane p
    /// with its input and output plane.
    func forward(
        _ input: Tensor,
        _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let g = planeGeometry(Array(input.shape.dropFirst()))
        geometry = g
        output.resize(to: [input.shape[0], input.shape[1], g.outHeight, g.outWidth])
        inputGradient.resize(to: input.shape)
        let (x, y) = (input.data, output.data)
        forEachPlane { p in body(p, x + p * g.inputPlane, y + p * g.outputPlane) }
        return output
    }

    /// Calls `body(p, dy_p, dx_p)` for every plane p with its output and input gradient plane.
    func backward(
        _ outputGradient: Tensor,
        _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let g = geometry
        let (dy, dx) = (outputGradient.data, inputGradient.data)
        forEachPlane { p in body(p, dy + p * g.outputPlane, dx + p * g.inputPlane) }
        return inputGradient
    }

    private func forEachPlane(_ body: (Int) -> Void) {
        let planes = inputGradient.shape[0] * inputGradient.shape[1]
        pool.forEachChunk(count: planes, minimumChunk: max(1, 4096 / max(1, geometry.inputPlane))) { range in
            for p in range { body(p) }
        }
    }
}
