/// 2-D convolution with a square kernel, as `torch.nn.Conv2d`: im2col + GEMM per image, or a
/// specialised kernel where im2col is a poor fit: `DirectConv` for narrow stride-1 layers,
/// `SmallPlaneConv` for tiny feature maps, and for the forward pass of "same"-padded stride-1
/// layers and, where it pays, their input gradient `WinogradConv` (3x3 kernels with enough
/// channels and columns; it also gives their weight gradient) or `SamePaddedConv` (an implicit
/// GEMM, whose layers keep im2col for the weight gradient).
///
/// input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW).
/// The batch is split over the pool's threads; each thread unfolds a group of images (one image
/// for large feature maps, several for small ones) into its own column buffer and accumulates the
/// weight gradient into its own partial sum; the partial sums are added in thread order
/// afterwards, so results depend on the thread count but not on scheduling.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// False for the first layer of a model, whose input gradient (dLoss/dImage) nobody reads;
    /// `backward` then skips that GEMM and col2im and returns an empty tensor.
    public var computesInputGradient = true
    /// Whether the layer may run a specialised kernel (`DirectConv`, `SmallPlaneConv`) instead of
    /// im2col + GEMM; turned off to compare the two.
    public var allowsSpecialisedKernels = true

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Per task: the im2col matrix of one group of images, then the group's output side by side.
    private let columns = Tensor(shape: [0])
    private let partialGradients = Tensor(shape: [0])
    private var input: Tensor?
    private let direct: DirectConv?
    /// Built for the input size of the last forward that suited it.
    private var smallPlane: SmallPlaneConv?
    /// Built for the input size of the last "same"-padded im2col.
    private var samePaddedTaps: SamePaddedTaps?
    /// The Winograd or implicit-GEMM forward pass and, where it pays, its twin for the input
    /// gradient; built for the input size of the last forward that suited them.
    private var samePadded: (forward: SamePaddedKernel, inputGradient: SamePaddedKernel?)?
    /// The weight of `samePadded.inputGradient`: channels swapped, kernels rotated.
    private let flippedWeight = Tensor(shape: [0])

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, generator: inout RandomGenerator, pool: ThreadPool) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.pool = pool
        direct = DirectConv.suits(inChannels: inChannels, outChannels: outChannels, kernel: kernelSize, stride: stride,
                                  padding: padding)
            ? DirectConv(inChannels: inChannels, outChannels: outChannels, kernel: kernelSize, padding: padding, pool: pool)
            : nil
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

    /// Output positions a GEMM should see at least. Small feature maps are unfolded several images
    /// side by side, so that the GEMMs are wide and the weight gradient accumulates over a long k
    /// instead of being read and written once per image.
    static let groupColumns = 512

    /// How one batch is cut: tasks (threads), each a contiguous run of images, processed in
    /// groups of up to `group` images per GEMM.
    private struct Plan {
        let g: ConvGeometry
        let tasks: Int
        let group: Int
        /// Floats per task in the columns buffer and in the side-by-side output buffer.
        var columnsSize: Int { g.columnRows * group * g.outputPlane }
        var sideSize: Int
        /// The whole-plane im2col of "same"-padded layers; nil for the others.
        let samePadded: SamePaddedTaps?

        /// image (C, H, W) -> columns (C*K*K, OH*OW) with rows `rowStride` apart.
        func unfold(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, rowStride: Int) {
            if let samePadded {
                samePadded.unfold(image, into: columns, rowStride: rowStride)
            } else {
                Im2col.unfold(image, g, into: columns, rowStride: rowStride)
            }
        }

        /// columns (C*K*K, OH*OW) -> the image gradient (C, H, W), overwritten.
        func fold(_ columns: UnsafeMutablePointer<Float>, rowStride: Int, into image: UnsafeMutablePointer<Float>) {
            if let samePadded {
                samePadded.fold(columns, rowStride: rowStride, into: image)
            } else {
                image.update(repeating: 0, count: g.channels * g.inputPlane)
                Im2col.fold(columns, g, rowStride: rowStride, into: image)
            }
        }
    }

    private func plan(_ input: Tensor) -> Plan {
        let n = input.shape[0]
        let g = geometry(Array(input.shape.dropFirst()))
        let tasks = taskCount(n)
        let group = max(1, min((n + tasks - 1) / tasks, Self.groupColumns / g.outputPlane))
        let plan = Plan(g: g, tasks: tasks, group: group, sideSize: group > 1 ? outChannels * group * g.outputPlane : 0,
                        samePadded: samePaddedTaps(for: g))
        columns.resize(to: [tasks, plan.columnsSize + plan.sideSize])
        return plan
    }

    /// Calls `body(first image, image count, columns, side buffer)` for each group of task t's images.
    @inline(__always)
    private func forEachGroup(_ plan: Plan, task t: Int, images n: Int,
                              _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let col = columns.data + t * (plan.columnsSize + plan.sideSize)
        let range = ThreadPool.chunk(t, of: plan.tasks, count: n)
        for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: plan.group) {
            body(first, min(plan.group, range.upperBound - first), col, col + plan.columnsSize)
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.shape[0]
        let sample = geometry(Array(input.shape.dropFirst()))
        if let direct, allowsSpecialisedKernels {
            self.input = input
            output.resize(to: [n, outChannels, sample.outHeight, sample.outWidth])
            direct.forward(input, sample, weight: weight.value.data, bias: bias?.value.data, output: output.data)
            return output
        }
        if let smallPlane = smallPlane(for: sample) {
            self.input = input
            output.resize(to: [n, outChannels, sample.outHeight, sample.outWidth])
            smallPlane.forward(input, weight: weight.value.data, bias: bias?.value.data, output: output.data)
            return output
        }
        if let samePadded = samePadded(for: sample) {
            self.input = input
            output.resize(to: [n, outChannels, sample.outHeight, sample.outWidth])
            samePadded.forward.forward(input.data, images: n, weight: weight.value.data, bias: bias?.value.data,
                                       output: output.data)
            return output
        }
        let plan = plan(input)
        let g = plan.g
        self.input = input
        output.resize(to: [n, outChannels, g.outHeight, g.outWidth])
        let gemmPool = plan.tasks == 1 ? pool : nil
        let (x, y, w) = (input.data, output.data, weight.value.data)
        let b = bias?.value.data
        let (inSize, outSize, plane) = (inChannels * g.inputPlane, outChannels * g.outputPlane, g.outputPlane)
        runTasks(plan.tasks) { t in
            forEachGroup(plan, task: t, images: n) { first, count, col, side in
                let width = count * plane
                for j in 0..<count { plan.unfold(x + (first + j) * inSize, into: col + j * plane, rowStride: width) }
                // out (OC, count*OH*OW) = weight (OC, C*K*K) x col (C*K*K, count*OH*OW)
                let target = count == 1 ? y + first * outSize : side
                GEMM.sgemm(transA: false, transB: false, m: outChannels, n: width, k: g.columnRows,
                           alpha: 1, a: w, lda: g.columnRows, b: col, ldb: width,
                           beta: 0, c: target, ldc: width, pool: gemmPool)
                if count > 1 {
                    ImageGroup.scatter(side, into: y + first * outSize, count: count, rows: outChannels, plane: plane)
                }
                if let b {
                    Elementwise.addRowBias(y + first * outSize, rows: count * outChannels, columns: plane, bias: b,
                                           biasCount: outChannels)
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("Conv2d.backward before forward") }
        let n = input.shape[0]
        let sample = geometry(Array(input.shape.dropFirst()))
        if let direct, allowsSpecialisedKernels {
            if computesInputGradient { inputGradient.resize(to: input.shape) }
            direct.backward(input, sample, outputGradient: outputGradient,
                            weight: weight.value.data, weightGradient: weight.gradient.data,
                            biasGradient: bias?.gradient.data, inputGradient: computesInputGradient ? inputGradient.data : nil)
            return inputGradient
        }
        if let smallPlane = smallPlane(for: sample) {
            if computesInputGradient { inputGradient.resize(to: input.shape) }
            smallPlane.backward(input, outputGradient: outputGradient.data, weightGradient: weight.gradient.data,
                                biasGradient: bias?.gradient.data,
                                inputGradient: computesInputGradient ? inputGradient.data : nil)
            return inputGradient
        }
        // The implicit GEMM computes the input gradient after the weight gradient, without columns.
        let kernels = samePadded(for: sample), implicit = kernels?.inputGradient
        if let winograd = kernels?.forward as? WinogradConv, implicit != nil || !computesInputGradient {
            let (dy, outSize) = (outputGradient.data, outChannels * sample.outputPlane)
            winograd.accumulateWeightGradient(input.data, outputGradient: dy, images: n, into: weight.gradient.data)
            if let biasGradient = bias?.gradient.data {
                // Split by channels, each summed over the images in order, as on one thread.
                let plane = sample.outputPlane
                pool.forEachChunk(count: outChannels, minimumChunk: max(1, 16384 / (n * plane))) { channels in
                    for image in 0..<n {
                        Elementwise.accumulateRowSums(dy + image * outSize + channels.lowerBound * plane,
                                                      rows: channels.count, columns: plane,
                                                      into: biasGradient + channels.lowerBound)
                    }
                }
            }
            if computesInputGradient, let implicit { computeInputGradient(outputGradient, by: implicit, images: n) }
            return inputGradient
        }
        let plan = plan(input)
        let g = plan.g
        let tasks = plan.tasks
        let weightCount = weight.value.count, biasCount = bias == nil ? 0 : outChannels
        // One thread adds straight into the gradients; several each get a zeroed partial sum.
        if tasks > 1 {
            partialGradients.resize(to: [tasks, weightCount + biasCount])
            partialGradients.fill(0)
        }
        if computesInputGradient { inputGradient.resize(to: input.shape) }
        let gemmPool = tasks == 1 ? pool : nil
        let (x, dy, w, dx) = (input.data, outputGradient.data, weight.value.data, inputGradient.data)
        let (inSize, outSize, plane) = (inChannels * g.inputPlane, outChannels * g.outputPlane, g.outputPlane)
        let partials = partialGradients.data, weightGradient = weight.gradient.data, biasGradient = bias?.gradient.data
        let needsInput = computesInputGradient && implicit == nil, hasBias = bias != nil
        runTasks(tasks) { t in
            let dw = tasks == 1 ? weightGradient : partials + t * (weightCount + biasCount)
            let db = tasks == 1 ? biasGradient : dw + weightCount
            forEachGroup(plan, task: t, images: n) { first, count, col, side in
                let width = count * plane
                let dyGroup: UnsafePointer<Float>
                if count == 1 {
                    dyGroup = UnsafePointer(dy + first * outSize)
                } else {
                    ImageGroup.gather(dy + first * outSize, into: side, count: count, rows: outChannels, plane: plane)
                    dyGroup = UnsafePointer(side)
                }
                for j in 0..<count { plan.unfold(x + (first + j) * inSize, into: col + j * plane, rowStride: width) }
                // dweight (OC, C*K*K) += dy (OC, count*OH*OW) x col^T (count*OH*OW, C*K*K)
                GEMM.sgemm(transA: false, transB: true, m: outChannels, n: g.columnRows, k: width,
                           alpha: 1, a: dyGroup, lda: width, b: col, ldb: width,
                           beta: 1, c: dw, ldc: g.columnRows, pool: gemmPool)
                if hasBias, let db {
                    Elementwise.accumulateRowSums(dyGroup, rows: outChannels, columns: width, into: db)
                }
                if needsInput {
                    // dcol (C*K*K, count*OH*OW) = weight^T (C*K*K, OC) x dy (OC, count*OH*OW), reusing col
                    GEMM.sgemm(transA: true, transB: false, m: g.columnRows, n: width, k: outChannels,
                               alpha: 1, a: w, lda: g.columnRows, b: dyGroup, ldb: width,
                               beta: 0, c: col, ldc: width, pool: gemmPool)
                    for j in 0..<count { plan.fold(col + j * plane, rowStride: width, into: dx + (first + j) * inSize) }
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
        if computesInputGradient, let implicit { computeInputGradient(outputGradient, by: implicit, images: n) }
        return inputGradient
    }

    /// inputGradient = the convolution of the output gradient with the weight's channels swapped
    /// and kernels rotated, by a same-padded kernel built for it.
    private func computeInputGradient(_ outputGradient: Tensor, by kernel: SamePaddedKernel, images n: Int) {
        guard let input else { return }
        let taps = kernelSize * kernelSize
        inputGradient.resize(to: input.shape)
        FlippedWeight.write(weight.value.data, outChannels: outChannels, inChannels: inChannels, taps: taps,
                            into: flippedWeight)
        kernel.forward(outputGradient.data, images: n, weight: flippedWeight.data, bias: nil,
                       output: inputGradient.data)
    }

    /// The whole-plane im2col for images of `g`'s size, when the layer is "same"-padded.
    private func samePaddedTaps(for g: ConvGeometry) -> SamePaddedTaps? {
        guard SamePaddedTaps.suits(g) else { return nil }
        if let samePaddedTaps, samePaddedTaps.geometry == g { return samePaddedTaps }
        samePaddedTaps = SamePaddedTaps(g)
        return samePaddedTaps
    }

    /// The Winograd or implicit-GEMM kernels for images of `g`'s size, when allowed and suited.
    private func samePadded(for g: ConvGeometry) -> (forward: SamePaddedKernel, inputGradient: SamePaddedKernel?)? {
        guard allowsSpecialisedKernels, SamePaddedConv.suits(g) else { return nil }
        if let samePadded, samePadded.forward.geometry == g { return samePadded }
        var transposed = g
        transposed.channels = outChannels
        let forward: SamePaddedKernel = WinogradConv.suits(g, outChannels: outChannels)
            ? WinogradConv(g, outChannels: outChannels, pool: pool)
            : SamePaddedConv(g, outChannels: outChannels, pool: pool)
        let inputGradient: SamePaddedKernel? = WinogradConv.suits(transposed, outChannels: inChannels)
            ? WinogradConv(transposed, outChannels: inChannels, pool: pool)
            : SamePaddedConv.suitsInputGradient(g)
                ? SamePaddedConv(transposed, outChannels: inChannels, pool: pool) : nil
        samePadded = (forward, inputGradient)
        return samePadded
    }

    /// The small-plane kernel for images of `g`'s size, when allowed and suited.
    private func smallPlane(for g: ConvGeometry) -> SmallPlaneConv? {
        guard allowsSpecialisedKernels, SmallPlaneConv.suits(g) else { return nil }
        if let smallPlane, smallPlane.fits(g) { return smallPlane }
        smallPlane = SmallPlaneConv(inChannels: inChannels, outChannels: outChannels, geometry: g, pool: pool)
        return smallPlane
    }

    private func runTasks(_ tasks: Int, _ body: (Int) -> Void) {
        if tasks == 1 { body(0) } else { pool.run(tasks: tasks, body) }
    }
}
