/// Batch normalisation over (N, H, W) per channel, as `torch.nn.BatchNorm2d(C)` with eps 1e-5
/// and momentum 0.1.
///
/// input and output (N, C, H, W); weight, bias, running_mean, running_var (C); num_batches_tracked
/// is a scalar. In training the batch statistics normalise and the running statistics move by
/// `momentum` toward the batch mean and the unbiased batch variance; in evaluation the running
/// statistics normalise. Channels are split over threads.
///
/// With `relu`, the layer is `BatchNorm2d` followed by `ReLU` in one pass each way: the ReLU's
/// separate output and gradient tensors and their two extra sweeps over memory disappear, and the
/// backward pass recomputes the ReLU mask from the input instead of storing it.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    /// Whether a ReLU follows the normalisation inside this layer.
    public let relu: Bool
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let batchesTracked = Tensor(shape: [])

    private let pool: ThreadPool
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Per channel: the mean and 1/sqrt(variance + eps) that normalised the latest forward pass.
    private var savedMean: [Float]
    private var savedInverseStd: [Float]
    /// Per channel: the affine map y = x * scale + shift of the latest forward pass.
    private var savedScale: [Float]
    private var savedShift: [Float]
    private var input: Tensor?
    private var lastForwardWasTraining = true

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, relu: Bool = false, pool: ThreadPool) {
        self.channels = channels
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
        savedMean = [Float](repeating: 0, count: channels)
        savedInverseStd = [Float](repeating: 1, count: channels)
        savedScale = [Float](repeating: 1, count: channels)
        savedShift = [Float](repeating: 0, count: channels)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public var buffers: [NamedTensor] {
        [NamedTensor(name: "running_mean", value: runningMean), NamedTensor(name: "running_var", value: runningVariance),
         NamedTensor(name: "num_batches_tracked", value: batchesTracked)]
    }

    public var summary: String { "BatchNorm2d(\(channels))" + (relu ? " + ReLU" : "") }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 3 && inputShape[0] == channels,
                     "BatchNorm2d expects (\(channels), H, W) inputs, got \(inputShape)")
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        _ = outputShape(for: Array(input.shape.dropFirst()))
        self.input = input
        output.resize(to: input.shape)
        let n = input.shape[0], plane = input.shape[2] * input.shape[3], stride = channels * plane
        let (x, y, gamma, beta) = (input.data, output.data, weight.value.data, bias.value.data)
        let (runMean, runVar) = (runningMean.data, runningVariance.data)
        let (eps, mom) = (epsilon, momentum)
        let correction = Double(n * plane) / Double(max(1, n * plane - 1))
        let relu = relu
        withSavedStatistics { means, inverseStds, scales, shifts in
            pool.forEachChunk(count: channels, minimumChunk: max(1, 16384 / (n * plane))) { range in
                for c in range {
                    let xc = x + c * plane
                    var mean: Float, inverseStd: Float
                    if training {
                        let stats = BatchNormKernel.statistics(xc, batch: n, channelStride: stride, plane: plane)
                        mean = Float(stats.mean)
                        inverseStd = 1 / (Float(stats.variance) + eps).squareRoot()
                        runMean[c] = (1 - mom) * runMean[c] + mom * mean
                        runVar[c] = (1 - mom) * runVar[c] + mom * Float(stats.variance * correction)
                    } else {
                        mean = runMean[c]
                        inverseStd = 1 / (runVar[c] + eps).squareRoot()
                    }
                    means[c] = mean
                    inverseStds[c] = inverseStd
                    let scale = gamma[c] * inverseStd, shift = beta[c] - mean * scale
                    scales[c] = scale
                    shifts[c] = shift
                    BatchNormKernel.affine(xc, y + c * plane, batch: n, channelStride: stride, plane: plane,
                                           scale: scale, shift: shift, relu: relu)
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
        let count = Float(n * plane), training = lastForwardWasTraining
        let (x, dy, dx, gamma) = (input.data, outputGradient.data, inputGradient.data, weight.value.data)
        let (dGamma, dBeta) = (weight.gradient.data, bias.gradient.data)
        let relu = relu
        withSavedStatistics { means, inverseStds, scales, shifts in
            pool.forEachChunk(count: channels, minimumChunk: max(1, 16384 / (n * plane))) { range in
                for c in range {
                    let offset = c * plane, mean = means[c], inverseStd = inverseStds[c]
                    // dy passes the ReLU where x * scale + shift, the ReLU's input, was positive.
                    let mask = relu ? BatchNormKernel.ReLUMask(scale: scales[c], shift: shifts[c]) : .passAll
                    let sums = BatchNormKernel.gradientSums(x + offset, dy + offset, batch: n, channelStride: stride,
                                                            plane: plane, mean: mean, mask: mask)
                    let sumDy = Float(sums.sumDy), sumDyNormalised = Float(sums.sumDyCentered) * inverseStd
                    dGamma[c] += sumDyNormalised
                    dBeta[c] += sumDy
                    let k = gamma[c] * inverseStd
                    // In training the batch statistics depend on x, which adds the mean terms.
                    let a = training ? -k * inverseStd * sumDyNormalised / count : 0
                    let b = training ? -k * sumDy / count : 0
                    BatchNormKernel.inputGradient(x + offset, dy + offset, dx + offset, batch: n, channelStride: stride,
                                                  plane: plane, mean: mean, k: k, a: a, b: b, mask: mask)
                }
            }
        }
        return inputGradient
    }

    /// Lends the per-channel mean, 1/std, scale and shift arrays to `body` as raw pointers, which
    /// the pool's tasks may write in disjoint channel ranges.
    private func withSavedStatistics(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                              UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        savedMean.withUnsafeMutableBufferPointer { means in
            savedInverseStd.withUnsafeMutableBufferPointer { inverseStds in
                savedScale.withUnsafeMutableBufferPointer { scales in
                    savedShift.withUnsafeMutableBufferPointer { shifts in
                        body(means.baseAddress!, inverseStds.baseAddress!, scales.baseAddress!, shifts.baseAddress!)
                    }
                }
            }
        }
    }
}
