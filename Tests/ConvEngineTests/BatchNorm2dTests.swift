import ConvEngine
import Testing

@Suite struct BatchNorm2dTests {
    private func layer(threads: Int) -> BatchNorm2d {
        let bn = BatchNorm2d(3, pool: ThreadPool(threads: threads))
        for c in 0..<3 {
            bn.weight.value[c] = 0.5 + Float(c) * 0.4
            bn.bias.value[c] = Float(c) * 0.3 - 0.2
            bn.runningMean[c] = Float(c) * 0.1
            bn.runningVariance[c] = 0.5 + Float(c)
        }
        return bn
    }

    @Test(arguments: [(true, 1), (true, 2), (false, 2)])
    func gradientsMatchFiniteDifferences(training: Bool, threads: Int) {
        // Batch statistics make every output depend on every input of its channel, so the loss
        // is smooth but curved; a smaller step keeps the central difference accurate.
        let check = GradientCheck(step: 5e-3, tolerance: 2e-3, training: training)
        let outcome = check.check(layer(threads: threads), inputShape: [3, 3, 3, 4])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    @Test func trainingNormalisesAndUpdatesRunningStatistics() {
        let bn = BatchNorm2d(2, pool: ThreadPool(threads: 1))
        let values: [Float] = [1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8, 50, 60, 70, 80]
        let y = bn.forward(Tensor(shape: [2, 2, 2, 2], values: values), training: true)
        for c in 0..<2 {
            let outputs = (0..<2).flatMap { n in (0..<4).map { y[n * 8 + c * 4 + $0] } }
            let mean = outputs.reduce(0, +) / 8
            let variance = outputs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 1e-3)
        }
        let channel0: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let unbiased = channel0.map { ($0 - 4.5) * ($0 - 4.5) }.reduce(0, +) / 7
        #expect(abs(bn.runningMean[0] - 0.45) < 1e-6)
        #expect(abs(bn.runningVariance[0] - (0.9 + 0.1 * unbiased)) < 1e-5)
        #expect(bn.batchesTracked[0] == 1)
        _ = bn.forward(Tensor(shape: [2, 2, 2, 2], values: values), training: false)
        #expect(bn.batchesTracked[0] == 1)
    }

    /// The fused ReLU against a separate `ReLU` layer after a plain batch norm: outputs, input
    /// gradients and parameter gradients, on planes of 42 (vector loops plus a scalar tail).
    @Test(arguments: [(true, 1), (true, 2), (false, 1), (false, 2)])
    func fusedReLUMatchesBatchNormThenReLU(training: Bool, threads: Int) {
        let pool = ThreadPool(threads: threads)
        let shape = [3, 5, 6, 7]
        let fused = BatchNorm2d(5, relu: true, pool: pool), plain = BatchNorm2d(5, pool: pool)
        let relu = ReLU(pool: pool)
        var generator = RandomGenerator(seed: 9)
        for bn in [fused, plain] {
            for c in 0..<5 {
                bn.weight.value[c] = 0.5 + Float(c) * 0.3
                bn.bias.value[c] = Float(c) * 0.2 - 0.4
                bn.runningMean[c] = Float(c) * 0.1 - 0.2
                bn.runningVariance[c] = 0.5 + Float(c)
            }
        }
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, values: (0..<count).map { _ in generator.uniform(-2, 2) })
        let dy = Tensor(shape: shape, values: (0..<count).map { _ in generator.uniform(-1, 1) })
        let y = fused.forward(x, training: training).values
        let expected = relu.forward(plain.forward(x, training: training), training: training).values
        #expect(y.contains(0) && y.contains { $0 > 0 })
        #expect(zip(y, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        let dx = fused.backward(dy).values
        let expectedDx = plain.backward(relu.backward(dy)).values
        let worst = zip(dx, expectedDx).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "largest input-gradient difference \(worst)")
        for (f, p) in [(fused.weight, plain.weight), (fused.bias, plain.bias)] {
            #expect(zip(f.gradient.values, p.gradient.values).allSatisfy { abs($0 - $1) < 1e-4 })
        }
        #expect(fused.summary == "BatchNorm2d(5) + ReLU")
    }

    /// The fused max pool against a batch norm with ReLU followed by `MaxPool2d`, on maps whose
    /// rows of windows end in a vector overlapping the one before (9 and 10 windows) and whose odd
    /// last row or column no window reads. The outputs are the same bits (max commutes with the
    /// ReLU, and the taps are compared in the same order); the input gradients differ only by the
    /// order the batch sums are added in. On 16x32 maps the input gradient's stores stream past
    /// the caches (whole aligned vectors), with the same bits.
    @Test(arguments: [[5, 3, 17, 18], [4, 2, 16, 21], [3, 2, 16, 32]], [(true, 1), (true, 2), (false, 2)])
    func fusedMaxPoolMatchesBatchNormThenMaxPool(shape: [Int], mode: (training: Bool, threads: Int)) {
        let pool = ThreadPool(threads: mode.threads), channels = shape[1]
        let fused = BatchNorm2d(channels, relu: true, maxPool: true, pool: pool)
        let plain = BatchNorm2d(channels, relu: true, pool: pool)
        let maxPool = MaxPool2d(kernelSize: 2, pool: pool)
        var generator = RandomGenerator(seed: 17)
        for bn in [fused, plain] {
            for c in 0..<channels {
                // A negative scale on channel 0: the window's maximum is then its smallest input.
                bn.weight.value[c] = c == 0 ? -0.8 : 0.5 + Float(c) * 0.3
                bn.bias.value[c] = Float(c) * 0.2 - 0.1
                bn.runningMean[c] = Float(c) * 0.1 - 0.2
                bn.runningVariance[c] = 0.5 + Float(c)
            }
        }
        let count = shape.reduce(1, *)
        // Quarter steps make ties inside windows, which must pick the same tap.
        let x = Tensor(shape: shape, values: (0..<count).map { _ in (generator.uniform(-8, 8)).rounded() / 4 })
        let y = fused.forward(x, training: mode.training)
        let expected = maxPool.forward(plain.forward(x, training: mode.training), training: mode.training)
        #expect(y.shape == expected.shape)
        #expect(y.values.map(\.bitPattern) == expected.values.map(\.bitPattern))
        #expect(y.values.contains(0) && y.values.contains { $0 > 0 })
        #expect(fused.runningMean.values == plain.runningMean.values)
        #expect(fused.runningVariance.values == plain.runningVariance.values)
        let dy = Tensor(shape: y.shape, values: (0..<y.count).map { _ in generator.uniform(-1, 1) })
        let dx = fused.backward(dy).values
        let expectedDx = plain.backward(maxPool.backward(dy)).values
        let worst = zip(dx, expectedDx).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "largest input-gradient difference \(worst)")
        for (f, p) in [(fused.weight, plain.weight), (fused.bias, plain.bias)] {
            let difference = zip(f.gradient.values, p.gradient.values).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-4, "parameter gradients differ by \(difference)")
        }
        #expect(fused.summary == "BatchNorm2d(\(channels)) + ReLU + MaxPool2d(k2 s2)")
    }

    /// The passes split by channels (9x9 planes, and 16x16 ones whose outputs and input gradients
    /// stream past the caches) and by images (3x3 planes, 7x5 ones whose images of 6 channels end
    /// in a scalar tail, and 4x4 ones whose images of 4 channels stream) against the definition
    /// computed in Double: outputs, running statistics, input and parameter gradients.
    @Test(
        arguments: [[4, 3, 9, 9], [3, 2, 16, 16], [5, 6, 3, 3], [7, 6, 7, 5], [3, 4, 4, 4]],
        [
            (training: true, relu: false, threads: 1), (training: true, relu: true, threads: 2),
            (training: false, relu: true, threads: 2), (training: false, relu: false, threads: 1),
        ])
    func matchesTheDefinition(shape: [Int], mode: (training: Bool, relu: Bool, threads: Int)) {
        let (n, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let bn = BatchNorm2d(channels, relu: mode.relu, pool: ThreadPool(threads: mode.threads))
        var generator = RandomGenerator(seed: 21)
        for c in 0..<channels {
            bn.weight.value[c] = generator.uniform(0.5, 1.5)
            bn.bias.value[c] = generator.uniform(-0.5, 0.5)
            bn.runningMean[c] = generator.uniform(-0.5, 0.5)
            bn.runningVariance[c] = generator.uniform(0.5, 2)
        }
        let (gamma, beta) = (bn.weight.value.values, bn.bias.value.values)
        let (runningMean, runningVariance) = (bn.runningMean.values, bn.runningVariance.values)
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, values: (0..<count).map { _ in generator.uniform(-2, 3) })
        let dy = Tensor(shape: shape, values: (0..<count).map { _ in generator.uniform(-1, 1) })
        let y = bn.forward(x, training: mode.training).values
        let dx = bn.backward(dy).values
        let m = Double(n * plane)
        for c in 0..<channels {
            let positions = (0..<n).flatMap { image in (0..<plane).map { (image * channels + c) * plane + $0 } }
            let xs = positions.map { Double(x[$0]) }
            let batchMean = xs.reduce(0, +) / m
            let batchVariance = xs.map { ($0 - batchMean) * ($0 - batchMean) }.reduce(0, +) / m
            let mean = mode.training ? batchMean : Double(runningMean[c])
            let inverseStd = 1 / ((mode.training ? batchVariance : Double(runningVariance[c])) + 1e-5).squareRoot()
            let normalised = xs.map { ($0 - mean) * inverseStd }
            let preActivation = normalised.map { Double(gamma[c]) * $0 + Double(beta[c]) }
            let g = zip(positions, preActivation).map { mode.relu && $1 <= 0 ? 0 : Double(dy[$0]) }
            let sumG = g.reduce(0, +), sumGNormalised = zip(g, normalised).map(*).reduce(0, +)
            for (i, position) in positions.enumerated() {
                let expectedY = mode.relu ? max(preActivation[i], 0) : preActivation[i]
                let k = Double(gamma[c]) * inverseStd
                let expectedDx = mode.training ? k / m * (m * g[i] - sumG - normalised[i] * sumGNormalised) : k * g[i]
                #expect(abs(Double(y[position]) - expectedY) < 1e-4, "y at \(position)")
                #expect(abs(Double(dx[position]) - expectedDx) < 1e-4, "dx at \(position)")
            }
            #expect(abs(Double(bn.bias.gradient[c]) - sumG) < 1e-3)
            #expect(abs(Double(bn.weight.gradient[c]) - sumGNormalised) < 1e-3)
            let expectedRunningMean =
                mode.training
                ? 0.9 * Double(runningMean[c]) + 0.1 * batchMean
                : Double(runningMean[c])
            let expectedRunningVariance =
                mode.training
                ? 0.9 * Double(runningVariance[c]) + 0.1 * batchVariance * m / (m - 1) : Double(runningVariance[c])
            #expect(abs(Double(bn.runningMean[c]) - expectedRunningMean) < 1e-5)
            #expect(abs(Double(bn.runningVariance[c]) - expectedRunningVariance) < 1e-5)
        }
    }

    @Test func bufferNamesFollowPyTorch() {
        #expect(
            BatchNorm2d(4, pool: ThreadPool(threads: 1)).buffers.map(\.name)
                == ["running_mean", "running_var", "num_batches_tracked"])
    }
}
