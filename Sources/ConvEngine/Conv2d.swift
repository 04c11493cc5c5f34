/// 2-D convolution with a square kernel, as `torch.nn.Conv2d`: im2col + GEMM per image.
///
/// input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW).
/// The batch is split over the pool's threads; each thread unfolds one image at a time into its
/// own column buffer and accumulates the weight gradient into its own partial sum, which are
/// added in thread order afterwards so results do not depend on scheduling.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// False for the first layer of a model, whose input gradient (dLoss/dImage) nobody reads.
    public var computesInputGradient = true

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private let columns = Tensor(shape: [0])
    private let partialGradients = Tensor(shape: [0])
    private var input: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, generator: inout RandomGenerator, pool: ThreadPool) {
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
        precondition(sampleShape.count == 3 && sampleShape[0] == inChannels,
                     "Conv2d expects (\(inChannels), H, W) inputs, got \(sampleShape)")
        return ConvGeometry(channels: inChannels, height: sampleShape[1], width: sampleShape[2],
                            kernel: kernelSize, stride: stride, padding: padding)
    }

    /// Threads to split a batch of `n` over; with one, the GEMM itself may use the pool.
    private func taskCount(_ n: Int) -> Int { max(1, min(pool.threadCount, n)) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.shape[0]
        let g = geometry(Array(input.shape.dropFirst()))
        self.input = input
        output.resize(to: [n, outChannels, g.outHeight, g.outWidth])
        let tasks = taskCount(n)
        columns.resize(to: [tasks, g.columnRows * g.outputPlane])
        let gemmPool = tasks == 1 ? pool : nil
        let (x, y, w, cols) = (input.data, output.data, weight.value.data, columns.data)
        let b = bias?.value.data
        let (inSize, outSize, colSize) = (inChannels * g.inputPlane, outChannels * g.outputPlane, columns.itemCount)
        runTasks(tasks) { t in
            let col = cols + t * colSize
            for i in ThreadPool.chunk(t, of: tasks, count: n) {
                Im2col.unfold(x + i * inSize, g, into: col)
                // out_i (OC, OH*OW) = weight (OC, C*K*K) x col (C*K*K, OH*OW)
                GEMM.sgemm(transA: false, transB: false, m: outChannels, n: g.outputPlane, k: g.columnRows,
                           alpha: 1, a: w, lda: g.columnRows, b: col, ldb: g.outputPlane,
                           beta: 0, c: y + i * outSize, ldc: g.outputPlane, pool: gemmPool)
                if let b { Elementwise.addRowBias(y + i * outSize, rows: outChannels, columns: g.outputPlane, bias: b) }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("Conv2d.backward before forward") }
        let n = input.shape[0]
        let g = geometry(Array(input.shape.dropFirst()))
        let tasks = taskCount(n)
        let weightCount = weight.value.count, biasCount = bias == nil ? 0 : outChannels
        // One thread adds straight into the gradients; several each get a zeroed partial sum.
        if tasks > 1 {
            partialGradients.resize(to: [tasks, weightCount + biasCount])
            partialGradients.fill(0)
        }
        if computesInputGradient { inputGradient.resize(to: input.shape) }
        let gemmPool = tasks == 1 ? pool : nil
        let (x, dy, w, cols, dx) = (input.data, outputGradient.data, weight.value.data, columns.data, inputGradient.data)
        let (inSize, outSize, colSize) = (inChannels * g.inputPlane, outChannels * g.outputPlane, columns.itemCount)
        let partials = partialGradients.data, weightGradient = weight.gradient.data, biasGradient = bias?.gradient.data
        let needsInput = computesInputGradient, hasBias = bias != nil
        runTasks(tasks) { t in
            let col = cols + t * colSize
            let dw = tasks == 1 ? weightGradient : partials + t * (weightCount + biasCount)
            let db = tasks == 1 ? biasGradient : dw + weightCount
            for i in ThreadPool.chunk(t, of: tasks, count: n) {
                let dyi = dy + i * outSize
                Im2col.unfold(x + i * inSize, g, into: col)
                // dweight (OC, C*K*K) += dy_i (OC, OH*OW) x col^T (OH*OW, C*K*K)
                GEMM.sgemm(transA: false, transB: true, m: outChannels, n: g.columnRows, k: g.outputPlane,
                           alpha: 1, a: dyi, lda: g.outputPlane, b: col, ldb: g.outputPlane,
                           beta: 1, c: dw, ldc: g.columnRows, pool: gemmPool)
                if hasBias, let db {
                    Elementwise.accumulateRowSums(dyi, rows: outChannels, columns: g.outputPlane, into: db)
                }
                if needsInput {
                    // dcol (C*K*K, OH*OW) = weight^T (C*K*K, OC) x dy_i (OC, OH*OW), reusing col
                    GEMM.sgemm(transA: true, transB: false, m: g.columnRows, n: g.outputPlane, k: outChannels,
                               alpha: 1, a: w, lda: g.columnRows, b: dyi, ldb: g.outputPlane,
                               beta: 0, c: col, ldc: g.outputPlane, pool: gemmPool)
                    let dxi = dx + i * inSize
                    dxi.update(repeating: 0, count: inSize)
                    Im2col.fold(col, g, into: dxi)
                }
            }
        }
        if tasks > 1 {
            for t in 0..<tasks {
                let partial = partials + t * (weightCount + biasCount)
                Elementwise.accumulate(partial, into: weightGradient, count: weightCount)
                if let biasGradient { Elementwise.accumulate(partial + weightCount, into: biasGradient, count: biasCount) }
            }
        }
        return inputGradient
    }

    private func runTasks(_ tasks: Int, _ body: (Int) -> Void) {
        if tasks == 1 { body(0) } else { pool.run(tasks: tasks, body) }
    }
}
