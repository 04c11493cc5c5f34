/// Batch normalisation over (N, H, W) per channel, as `torch.nn.BatchNorm2d(C)` with eps 1e-5
/// and momentum 0.1.
///
/// input and output (N, C, H, W); weight, bias, running_mean, running_var (C); num_batches_tracked
/// is a scalar. In training the batch statistics normalise and the running statistics move by
/// `momentum` toward the batch mean and the unbiased batch variance; in evaluation the running
/// statistics normalise. Channels are split over threads, or on small planes
/// (`largestImageSplitPlane`), images. Every sum over the batch (the statistics, the gradient
/// sums) is added up in `BatchSummation`'s order, so that the layer computes the same on any
/// thread count, and two processes that share a batch compute what one process would.
///
/// With `relu`, the layer is `BatchNorm2d` followed by `ReLU` in one pass each way: the ReLU's
/// separate output and gradient tensors and their two extra sweeps over memory disappear, and the
/// backward pass recomputes the ReLU mask from the input instead of storing it.
///
/// With `maxPool` too, a 2x2 max pool with stride 2 follows the ReLU inside the layer (see
/// `takesMaxPool` for the maps it serves): the output is the pooled map, made from the input in one
/// pass, and the backward pass finds each window's maximum again from the input. The normalised
/// map at full size and its gradient never go through memory, nor do the pool's indices.
///
/// With a `synchronizer`, training normalises with the statistics of the global batch that several
/// processes share (PyTorch's `SyncBatchNorm`): the per-channel sums (of x, then of the squares
/// about the global mean) are added over the processes in forward, and the input gradient's mean
/// terms in backward.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    /// Whether a ReLU follows the normalisation inside this layer.
    public let relu: Bool
    /// Whether a 2x2 max pool with stride 2 follows the ReLU inside this layer.
    public let maxPool: Bool
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let batchesTracked = Tensor(shape: [])

    private let pool: ThreadPool
    /// The latest forward's result, pooled with `maxPool`; with `relu`, layer health counts its dead units.
    let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Four rows of one value per channel: the mean and 1/sqrt(variance + eps) that normalised
    /// the latest forward pass, and its affine map y = x * scale + shift.
    private let saved: Tensor
    private var input: Tensor?
    private var lastForwardWasTraining = true
    /// Elements per channel that the latest training forward pass normalised over: this process's
    /// N*H*W, or the global batch's when synchronized.
    private var normalizedCount = 1
    /// The processes whose batches this layer normalises together; nil for one process.
    public var synchronizer: (any BatchStatisticsSynchronizer)?
    /// The image-split passes' per-task partial sums and per-position expansions.
    private let scratch = Tensor(shape: [0])

    /// Planes up to this size (`resnet6`'s 7x7 and 3x3 maps, `convnet5`'s 8x8) are normalised
    /// image by image: a channel's run in one image is a few vectors or less, and walking the
    /// batch channel by channel cost more in loop overhead and per-image reductions than in
    /// arithmetic. An image's C*H*W elements are contiguous, so with each channel's numbers
    /// expanded over its plane every pass is a plain vector sweep. Measured at batch 128, 2
    /// threads, forward / backward: 64 channels on 3x3 maps 0.23-0.29 / 0.34-0.39 ms -> 0.08 /
    /// 0.10-0.12 ms, 128 on 8x8 1.6-1.9 / 1.9-2.1 ms -> 1.0-1.1 / 1.1 ms; on 14x14 and 16x16 maps
    /// it was slower.
    static let largestImageSplitPlane = 64

    /// Whether `maxPool` serves (height, width) maps: the channel-by-channel passes (planes over
    /// `largestImageSplitPlane`) with rows of at least 8 windows.
    static func takesMaxPool(height: Int, width: Int) -> Bool {
        height * width > largestImageSplitPlane && width / 2 >= 8
    }

    public init(
        _ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, relu: Bool = false, maxPool: Bool = false,
        pool: ThreadPool
    ) {
        precondition(relu || !maxPool, "BatchNorm2d takes a max pool only after its ReLU")
        self.channels = channels
        self.maxPool = maxPool
        self.epsilon = epsilon
        self.momentum = momentum
        self.relu = relu
        self.pool = pool
        weight = Parameter(name: "weight", shape: [channels])
        weight.value.fill(1)
        bias = Parameter(name: "bias", shape: [channels])
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels])
        runningVariance.fill(1)
        saved = Tensor(shape: [4, channels])
        (saved.data + channels).update(repeating: 1, count: 2 * channels)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public var buffers: [NamedTensor] {
        [
            NamedTensor(name: "running_mean", value: runningMean),
            NamedTensor(name: "running_var", value: runningVariance),
            NamedTensor(name: "num_batches_tracked", value: batchesTracked),
        ]
    }

    public var summary: String {
        "BatchNorm2d(\(channels))" + (relu ? " + ReLU" : "") + (maxPool ? " + MaxPool2d(k2 s2)" : "")
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(
            inputShape.count == 3 && inputShape[0] == channels,
            "BatchNorm2d expects (\(channels), H, W) inputs, got \(inputShape)")
        guard maxPool else { return inputShape }
        precondition(
            Self.takesMaxPool(height: inputShape[1], width: inputShape[2]),
            "BatchNorm2d cannot take a max pool on \(inputShape[1])x\(inputShape[2]) maps")
        return [channels, inputShape[1] / 2, inputShape[2] / 2]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.shape[0], plane = input.shape[2] * input.shape[3], stride = channels * plane
        output.resize(to: [n] + outputShape(for: Array(input.shape.dropFirst())))
        self.input = input
        if plane <= Self.largestImageSplitPlane {
            forwardByImages(input, plane: plane, training: training)
        } else {
            let (x, y, relu) = (input.data, output.data, relu)
            let windows = windowGeometry(input), pooledStride = channels * (windows?.outputPlane ?? 0)
            let summation = BatchSummation(samples: n)
            let chunk = max(1, 16384 / (n * plane))
            func channelSum(_ c: Int, center: Float, squares: Bool) -> Double {
                summation.reduce(
                    { _, images in
                        BatchNormKernel.sum(
                            x + c * plane, images: images, channelStride: stride, plane: plane, center: center,
                            squares: squares)
                    }, +) ?? 0
            }
            let affine = { (statistics: ChannelStatistics, c: Int) in
                if let windows {
                    BatchNormKernel.MaxPool.forward(
                        x + c * plane, y + c * windows.outputPlane, batch: n, channelStride: stride,
                        outputStride: pooledStride, windows, scale: statistics.scales[c],
                        shift: statistics.shifts[c])
                    return
                }
                BatchNormKernel.affine(
                    x + c * plane, y + c * plane, batch: n, channelStride: stride, plane: plane,
                    scale: statistics.scales[c], shift: statistics.shifts[c], relu: relu)
            }
            if training && synchronizer != nil {
                // Every channel's sums are added over the processes before any is normalised.
                setStatistics(count: n * plane) { means, sums in
                    pool.forEachChunk(count: channels, minimumChunk: chunk) { range in
                        for c in range { sums[c] = channelSum(c, center: means?[c] ?? 0, squares: means != nil) }
                    }
                }
                let statistics = channelStatistics()
                pool.forEachChunk(count: channels, minimumChunk: chunk) { range in
                    for c in range { affine(statistics, c) }
                }
            } else {
                // One sweep per channel while its planes are in cache: both sums, then the map.
                if training { normalizedCount = n * plane }
                let statistics = channelStatistics(), total = Double(n * plane)
                pool.forEachChunk(count: channels, minimumChunk: chunk) { range in
                    for c in range {
                        if training {
                            let mean = channelSum(c, center: 0, squares: false) / total
                            let squares = channelSum(c, center: Float(mean), squares: true)
                            statistics.set(c, mean: mean, variance: squares / total)
                        } else {
                            statistics.setFromRunning(c)
                        }
                        affine(statistics, c)
                    }
                }
            }
        }
        if training { batchesTracked[0] += 1 }
        lastForwardWasTraining = training
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("BatchNorm2d.backward before forward") }
        inputGradient.resize(to: input.shape)
        let n = input.shape[0], plane = input.shape[2] * input.shape[3], stride = channels * plane
        if plane <= Self.largestImageSplitPlane {
            backwardByImages(input, outputGradient, plane: plane)
            return inputGradient
        }
        let (x, dy, dx) = (input.data, outputGradient.data, inputGradient.data)
        let statistics = channelStatistics(), relu = relu
        let coefficients = gradientCoefficients()
        let summation = BatchSummation(samples: n)
        // Synchronized coefficients need every channel's sums over every process first.
        let local = lastForwardWasTraining && synchronizer != nil ? ChannelPairs(channels: channels) : nil
        let chunk = max(1, 16384 / (n * plane))
        // dy passes the ReLU where x * scale + shift, the ReLU's input, was positive.
        let mask = { (c: Int) in
            relu ? BatchNormKernel.ReLUMask(scale: statistics.scales[c], shift: statistics.shifts[c]) : .passAll
        }
        let windows = windowGeometry(input), pooledStride = channels * (windows?.outputPlane ?? 0)
        let applyGradient = { (c: Int, k: Float, a: Float, b: Float) in
            if let windows {
                BatchNormKernel.MaxPool.inputGradient(
                    x + c * plane, dy + c * windows.outputPlane, dx + c * plane, batch: n, channelStride: stride,
                    outputStride: pooledStride, windows, mean: statistics.means[c], k: k, a: a,
                    b: b, scale: statistics.scales[c], shift: statistics.shifts[c])
                return
            }
            BatchNormKernel.inputGradient(
                x + c * plane, dy + c * plane, dx + c * plane, batch: n, channelStride: stride,
                plane: plane, mean: statistics.means[c], k: k, a: a, b: b, mask: mask(c))
        }
        pool.forEachChunk(count: channels, minimumChunk: chunk) { range in
            for c in range {
                let sums = GradientSums.reduce(summation, inverseStd: statistics.inverseStds[c]) { _, images in
                    if let windows {
                        return BatchNormKernel.MaxPool.gradientSums(
                            x + c * plane, dy + c * windows.outputPlane, images: images, channelStride: stride,
                            outputStride: pooledStride, windows, mean: statistics.means[c],
                            scale: statistics.scales[c], shift: statistics.shifts[c])
                    }
                    return BatchNormKernel.gradientSums(
                        x + c * plane, dy + c * plane, images: images, channelStride: stride,
                        plane: plane, mean: statistics.means[c], mask: mask(c))
                }
                coefficients.accumulateParameters(c, sums)
                if let local {
                    local.set(c, sums.sumDy, sums.sumDyCentered)
                    continue
                }
                let (k, a, b) = coefficients.input(c, sumDy: sums.sumDy, sumDyCentered: sums.sumDyCentered)
                applyGradient(c, k, a, b)
            }
        }
        if let local {
            synchronizer?.sum(local.values)
            defer { local.deallocate() }
            pool.forEachChunk(count: channels, minimumChunk: chunk) { range in
                for c in range {
                    let (k, a, b) = coefficients.input(c, sumDy: local[c], sumDyCentered: local[channels + c])
                    applyGradient(c, k, a, b)
                }
            }
        }
        return inputGradient
    }

    /// The pool's windows on `input`'s planes with `maxPool`, else nil.
    private func windowGeometry(_ input: Tensor) -> ConvGeometry? {
        guard maxPool else { return nil }
        return ConvGeometry(
            channels: 1, height: input.shape[2], width: input.shape[3], kernel: 2, stride: 2, padding: 0)
    }

    /// Where a forward pass puts each channel's normalisation (the rows of `saved`, and in training
    /// the running statistics) and the backward pass reads it. Raw pointers, so that the pool's
    /// tasks may set disjoint channels.
    private struct ChannelStatistics {
        let means, inverseStds, scales, shifts: UnsafeMutablePointer<Float>
        let runningMean, runningVariance: UnsafeMutablePointer<Float>
        let gamma, beta: UnsafePointer<Float>
        let epsilon, momentum: Float
        /// n / (n - 1) over the channel's n elements: the running variance is the unbiased one.
        let correction: Double

        /// Channel c normalised by the batch's mean and biased variance, which the running
        /// statistics move `momentum` toward.
        func set(_ c: Int, mean: Double, variance: Double) {
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(mean)
            runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(variance * correction)
            setAffine(c, mean: Float(mean), inverseStd: 1 / (Float(variance) + epsilon).squareRoot())
        }

        /// Channel c normalised by the running statistics (evaluation).
        func setFromRunning(_ c: Int) {
            setAffine(c, mean: runningMean[c], inverseStd: 1 / (runningVariance[c] + epsilon).squareRoot())
        }

        private func setAffine(_ c: Int, mean: Float, inverseStd: Float) {
            means[c] = mean
            inverseStds[c] = inverseStd
            scales[c] = gamma[c] * inverseStd
            shifts[c] = beta[c] - mean * scales[c]
        }
    }

    /// The normalisation rows, with the unbiased correction for `normalizedCount` elements.
    private func channelStatistics() -> ChannelStatistics {
        let rows = saved.data
        return ChannelStatistics(
            means: rows, inverseStds: rows + channels, scales: rows + 2 * channels,
            shifts: rows + 3 * channels, runningMean: runningMean.data,
            runningVariance: runningVariance.data, gamma: weight.value.data, beta: bias.value.data,
            epsilon: epsilon, momentum: momentum,
            correction: Double(normalizedCount) / Double(max(1, normalizedCount - 1)))
    }

    /// How a backward pass turns a channel's gradient sums into its parameter gradients and the
    /// coefficients of dx = masked dy * k + (x - mean) * a + b.
    private struct GradientCoefficients {
        let inverseStds: UnsafeMutablePointer<Float>
        let gamma: UnsafePointer<Float>
        let gammaGradient, betaGradient: UnsafeMutablePointer<Float>
        /// Elements per channel.
        let count: Float
        let training: Bool

        /// Adds channel c's parameter gradients from this process's sums.
        func accumulateParameters(_ c: Int, _ sums: GradientSums) {
            gammaGradient[c] += sums.gammaGradient
            betaGradient[c] += sums.betaGradient
        }

        /// Channel c's input-gradient coefficients from the sums over the whole normalised batch.
        func input(_ c: Int, sumDy: Double, sumDyCentered: Double) -> (k: Float, a: Float, b: Float) {
            let inverseStd = inverseStds[c]
            let sumDy = Float(sumDy), sumDyNormalised = Float(sumDyCentered) * inverseStd
            let k = gamma[c] * inverseStd
            // In training the batch statistics depend on x, which adds the mean terms.
            let a = training ? -k * inverseStd * sumDyNormalised / count : 0
            let b = training ? -k * sumDy / count : 0
            return (k, a, b)
        }
    }

    private func gradientCoefficients() -> GradientCoefficients {
        GradientCoefficients(
            inverseStds: saved.data + channels, gamma: weight.value.data,
            gammaGradient: weight.gradient.data, betaGradient: bias.gradient.data,
            count: Float(normalizedCount), training: lastForwardWasTraining)
    }

    /// A channel's sums over the batch in backward: those of dy and of dy * (x - mean) in Double,
    /// which give the input gradient, and the parameter gradients they give in Float, added up
    /// leaf by leaf in Float as data-parallel ranks add their gradients.
    struct GradientSums {
        var sumDy = 0.0, sumDyCentered = 0.0
        var gammaGradient: Float = 0, betaGradient: Float = 0

        /// The sums over the batch in `summation`'s order, from each leaf's (sum of dy, sum of dy *
        /// (x - mean)), given the leaf's index and samples.
        static func reduce(
            _ summation: BatchSummation, inverseStd: Float, _ leaf: (Int, Range<Int>) -> (Double, Double)
        ) -> GradientSums {
            let sums = summation.reduce(
                { index, images in
                    let (sumDy, sumDyCentered) = leaf(index, images)
                    return GradientSums(
                        sumDy: sumDy, sumDyCentered: sumDyCentered,
                        gammaGradient: Float(sumDyCentered) * inverseStd, betaGradient: Float(sumDy))
                },
                { a, b in
                    GradientSums(
                        sumDy: a.sumDy + b.sumDy, sumDyCentered: a.sumDyCentered + b.sumDyCentered,
                        gammaGradient: a.gammaGradient + b.gammaGradient, betaGradient: a.betaGradient + b.betaGradient)
                })
            return sums ?? GradientSums()
        }
    }

    /// Two numbers per channel, `first` then `second` rows in one buffer, that pool tasks fill for
    /// disjoint channels and a synchronizer sums in one call.
    private struct ChannelPairs {
        let values: UnsafeMutableBufferPointer<Double>
        let channels: Int

        init(channels: Int) {
            self.channels = channels
            values = .allocate(capacity: 2 * channels)
            values.initialize(repeating: 0)
        }

        func set(_ c: Int, _ first: Double, _ second: Double) {
            values[c] = first
            values[channels + c] = second
        }

        subscript(_ i: Int) -> Double { values[i] }

        func deallocate() { values.deallocate() }
    }

    /// Sets every channel's normalisation from the batch's mean and biased variance over `count`
    /// elements per channel. `sums(means, into)` writes each channel's sum over this process's rows,
    /// of x when `means` is nil, else of (x - mean)^2; with a synchronizer each pass's sums (and the
    /// count) are added over the processes before they are used, so the means are the global ones.
    private func setStatistics(
        count: Int, _ sums: (UnsafePointer<Float>?, UnsafeMutablePointer<Double>) -> Void
    ) {
        var first = [Double](repeating: 0, count: channels + 1)
        first.withUnsafeMutableBufferPointer { sums(nil, $0.baseAddress!) }
        first[channels] = Double(count)
        first.withUnsafeMutableBufferPointer { synchronizer?.sum($0) }
        let total = first[channels]
        normalizedCount = Int(total.rounded())
        let statistics = channelStatistics()
        for c in 0..<channels { statistics.means[c] = Float(first[c] / total) }
        var second = [Double](repeating: 0, count: channels)
        second.withUnsafeMutableBufferPointer { sums(UnsafePointer(statistics.means), $0.baseAddress!) }
        second.withUnsafeMutableBufferPointer { synchronizer?.sum($0) }
        for c in 0..<channels { statistics.set(c, mean: first[c] / total, variance: second[c] / total) }
    }

    /// `body(c)` for every channel, the channels split between the pool's threads. The passes split
    /// over images add their per-leaf partial sums up channel by channel, each a chain of dependent
    /// Double additions; on one thread that kept the other waiting: `resnet9`'s bn4 (128 channels
    /// on 8x8 maps, bf16, batch 128) took 0.80-0.82 ms backward that way and 0.61-0.76 split.
    private func forEachChannelSum(_ body: (Int) -> Void) {
        pool.forEachChunk(count: channels, minimumChunk: 16) { range in
            for c in range { body(c) }
        }
    }

    /// Tasks for a pass split over `n` images of `count` elements: one per thread, fewer for
    /// small batches.
    private func imageTasks(_ n: Int, count: Int) -> Int { max(1, min(pool.threadCount, n, n * count / 16384)) }

    /// `body(task, images)` for each task's contiguous run of the `n` images.
    private func runImages(_ tasks: Int, _ n: Int, _ body: (Int, Range<Int>) -> Void) {
        pool.run(tasks: tasks) { t in body(t, ThreadPool.chunk(t, of: tasks, count: n)) }
    }

    /// The forward pass split over images: per-position partial sums per leaf of the batch,
    /// per-channel statistics from them, then the affine map with per-position scale and shift.
    private func forwardByImages(_ input: Tensor, plane: Int, training: Bool) {
        let n = input.shape[0], count = channels * plane, tasks = imageTasks(n, count: count)
        let summation = BatchSummation(samples: n), leaves = training ? summation.leaves.count : 0
        scratch.resize(to: [leaves + 3, count])
        let partials = scratch.data, center = partials + leaves * count
        let scale = center + count, shift = scale + count
        let (x, y, relu) = (input.data, output.data, relu)
        if training {
            setStatistics(count: n * plane) { means, sums in
                if let means {
                    BatchNormKernel.Images.expand(channels: channels, plane: plane, into: center) { means[$0] }
                } else {
                    center.update(repeating: 0, count: count)
                }
                summation.forEachLeaf(on: pool) { _, leaf, images in
                    BatchNormKernel.Images.sums(
                        x, images: images, count: count, center: center, squares: means != nil,
                        into: partials + leaf * count)
                }
                forEachChannelSum { c in
                    sums[c] =
                        summation.reduce(
                            { leaf, _ in
                                BatchNormKernel.Images.planeSum(partials + leaf * count, channel: c, plane: plane)
                            },
                            +) ?? 0
                }
            }
        } else {
            let statistics = channelStatistics()
            for c in 0..<channels { statistics.setFromRunning(c) }
        }
        let statistics = channelStatistics()
        BatchNormKernel.Images.expand(channels: channels, plane: plane, into: scale) { statistics.scales[$0] }
        BatchNormKernel.Images.expand(channels: channels, plane: plane, into: shift) { statistics.shifts[$0] }
        runImages(tasks, n) { _, images in
            BatchNormKernel.Images.affine(x, y, images: images, count: count, scale: scale, shift: shift, relu: relu)
        }
    }

    /// The backward pass split over images: per-position partial gradient sums per leaf of the
    /// batch, per-channel coefficients from them, then the input gradient with the coefficients
    /// expanded.
    private func backwardByImages(_ input: Tensor, _ outputGradient: Tensor, plane: Int) {
        let n = input.shape[0], count = channels * plane, tasks = imageTasks(n, count: count)
        let summation = BatchSummation(samples: n), leaves = summation.leaves.count
        scratch.resize(to: [2 * leaves + 6, count])
        let sumsDy = scratch.data, sumsCentered = sumsDy + leaves * count
        let mean = sumsCentered + leaves * count, scale = mean + count, shift = scale + count
        let k = shift + count, a = k + count, offset = a + count
        let (x, dy, dx) = (input.data, outputGradient.data, inputGradient.data)
        let statistics = channelStatistics(), relu = relu
        let coefficients = gradientCoefficients()
        BatchNormKernel.Images.expand(channels: channels, plane: plane, into: mean) { statistics.means[$0] }
        // Without a ReLU, scale 0 and shift 1 let every gradient through.
        BatchNormKernel.Images.expand(channels: channels, plane: plane, into: scale) {
            relu ? statistics.scales[$0] : 0
        }
        BatchNormKernel.Images.expand(channels: channels, plane: plane, into: shift) {
            relu ? statistics.shifts[$0] : 1
        }
        let mask = BatchNormKernel.Images.Mask(scale: scale, shift: shift)
        summation.forEachLeaf(on: pool) { _, leaf, images in
            BatchNormKernel.Images.gradientSums(
                x, dy, images: images, count: count, mean: mean, mask: mask,
                sumDy: sumsDy + leaf * count, sumDyCentered: sumsCentered + leaf * count)
        }
        let sums = ChannelPairs(channels: channels)
        defer { sums.deallocate() }
        forEachChannelSum { c in
            let channelSums = GradientSums.reduce(summation, inverseStd: statistics.inverseStds[c]) { leaf, _ in
                (
                    BatchNormKernel.Images.planeSum(sumsDy + leaf * count, channel: c, plane: plane),
                    BatchNormKernel.Images.planeSum(sumsCentered + leaf * count, channel: c, plane: plane)
                )
            }
            sums.set(c, channelSums.sumDy, channelSums.sumDyCentered)
            coefficients.accumulateParameters(c, channelSums)
        }
        if lastForwardWasTraining { synchronizer?.sum(sums.values) }
        for c in 0..<channels {
            let (kc, ac, bc) = coefficients.input(c, sumDy: sums[c], sumDyCentered: sums[channels + c])
            (k + c * plane).update(repeating: kc, count: plane)
            (a + c * plane).update(repeating: ac, count: plane)
            (offset + c * plane).update(repeating: bc - statistics.means[c] * ac, count: plane)
        }
        runImages(tasks, n) { _, images in
            BatchNormKernel.Images.inputGradient(
                x, dy, dx, images: images, count: count, k: k, a: a, offset: offset,
                mask: mask)
        }
    }
}

/// The processes that train one global batch together, as batch norm needs them to normalise with
/// the whole batch's statistics (`BatchNorm2d.synchronizer`).
///
/// Every process calls `sum` at the same points, in the same order, with buffers of the same length.
public protocol BatchStatisticsSynchronizer: AnyObject {
    /// Replaces every element of `values` with its sum over the processes.
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
}
