import ConvEngine
import Foundation
import Testing

/// Two batch-norm layers on two threads, each with some rows of one batch and synchronized with each
/// other, against one layer on the whole batch: SyncBatchNorm must give the same outputs, running
/// statistics and (weighted by each part's share, as data-parallel training adds them) gradients.
@Suite struct SyncBatchNormTests {
    /// Planes of 72 (over `largestImageSplitPlane`: channel by channel) and of 9 (image by image),
    /// with ReLU and without, the batch split evenly and unevenly.
    @Test(arguments: [(9, 8, false, 3), (9, 8, true, 2), (3, 3, true, 3), (3, 3, false, 1)])
    func twoSynchronizedPartsMatchTheWholeBatch(height: Int, width: Int, relu: Bool, firstRows: Int) throws {
        let batch = 5, channels = 4, plane = height * width
        let shape = [batch, channels, height, width], imageSize = channels * plane
        var generator = RandomGenerator(seed: 21)
        let x = (0..<batch * imageSize).map { _ in generator.uniform(-2, 3) }
        let dy = (0..<batch * imageSize).map { _ in generator.uniform(-1, 1) }
        let whole = Self.layer(channels, relu: relu)
        let y = whole.forward(Tensor(shape: shape, values: x), training: true).values
        // The whole batch's loss is the mean over its rows; each part's is the mean over its own.
        let dx = whole.backward(Tensor(shape: shape, values: dy.map { $0 / Float(batch) })).values

        let parts = [0..<firstRows, firstRows..<batch]
        let group = RendezvousGroup(parts: 2)
        let layers = parts.map { rows in
            let layer = Self.layer(channels, relu: relu)
            layer.synchronizer = group.member(share: Double(rows.count) / Double(batch))
            return layer
        }
        let results = PartResults(layers: layers)
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            let rows = parts[p], slice = rows.lowerBound * imageSize..<rows.upperBound * imageSize
            let partShape = [rows.count, channels, height, width]
            let output = results.layers[p].forward(Tensor(shape: partShape, values: Array(x[slice])), training: true)
                .values
            let gradient = Array(dy[slice]).map { $0 / Float(rows.count) }
            results.set(p, output, results.layers[p].backward(Tensor(shape: partShape, values: gradient)).values)
        }
        let share = parts.map { Float($0.count) / Float(batch) }
        expectClose(results.outputs[0] + results.outputs[1], y, 1e-5, "outputs")
        // A part's input gradient is of its own mean loss: scaled by its share, it is the whole one's.
        let scaled = (0..<2).flatMap { p in results.inputGradients[p].map { $0 * share[p] } }
        expectClose(scaled, dx, 1e-6, "input gradients")
        for p in 0..<2 {
            expectClose(layers[p].runningMean.values, whole.runningMean.values, 1e-6, "running mean")
            expectClose(layers[p].runningVariance.values, whole.runningVariance.values, 1e-5, "running variance")
        }
        for (name, of) in [("weight", \BatchNorm2d.weight), ("bias", \BatchNorm2d.bias)] {
            let summed = (0..<channels).map { c in
                (0..<2).reduce(0) { $0 + layers[$1][keyPath: of].gradient[c] * share[$1] }
            }
            expectClose(summed, whole[keyPath: of].gradient.values, 1e-5, "\(name) gradient")
        }
    }

    /// The whole convnet5 (five batch-norm layers, on planes normalised channel by channel and image
    /// by image) trained one step as two synchronized halves on two threads against one model on
    /// the whole batch: the share-weighted parameter gradients and the running statistics agree.
    ///
    /// The inputs are random, so no max-pool window holds two nearly equal maxima: on real images
    /// such a near-tie can pick another maximum when the statistics differ in their last bit (as the
    /// halves' combined ones do from one pass's), and that routes a whole gradient elsewhere.
    @Test func convnet5InTwoSynchronizedHalvesMatchesTheWholeBatch() {
        let batch = 64, input = (channels: 1, height: 28, width: 28), classes = 10
        let imageSize = input.height * input.width, shape = [input.channels, input.height, input.width]
        var generator = RandomGenerator(seed: 5)
        let x = (0..<batch * imageSize).map { _ in generator.uniform(0, 1) }
        let labels = (0..<batch).map { $0 % classes }
        let build = {
            ModelPreset.convnet5.build(input: input, classes: classes, seed: 3, pool: ThreadPool(threads: 1))
        }
        let whole = build(), loss = SoftmaxCrossEntropy()
        _ = loss.forward(
            logits: whole.forward(Tensor(shape: [batch] + shape, values: x), training: true), labels: labels)
        whole.backward(loss.gradient)

        let parts = [0..<40, 40..<batch]
        let group = RendezvousGroup(parts: 2)
        let models = PartModels(
            models: parts.map { rows in
                let model = build()
                model.batchStatisticsSynchronizer = group.member(share: Double(rows.count) / Double(batch))
                return model
            })
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            let rows = parts[p], model = models.models[p], partLoss = SoftmaxCrossEntropy()
            let part = Array(x[rows.lowerBound * imageSize..<rows.upperBound * imageSize])
            let logits = model.forward(Tensor(shape: [rows.count] + shape, values: part), training: true)
            _ = partLoss.forward(logits: logits, labels: Array(labels[rows]))
            model.backward(partLoss.gradient)
        }
        let share = parts.map { Float($0.count) / Float(batch) }
        for (i, parameter) in whole.namedParameters.enumerated() {
            let summed = (0..<parameter.gradient.count).map { j in
                (0..<2).reduce(0) { $0 + models.models[$1].namedParameters[i].gradient[j] * share[$1] }
            }
            expectClose(summed, parameter.gradient.values, 1e-5, "\(parameter.name) gradient")
        }
        for (i, buffer) in whole.namedBuffers.enumerated() where buffer.value.count > 1 {
            for model in models.models {
                expectClose(model.namedBuffers[i].value.values, buffer.value.values, 1e-5, buffer.name)
            }
        }
    }

    private static func layer(_ channels: Int, relu: Bool) -> BatchNorm2d {
        let bn = BatchNorm2d(channels, relu: relu, pool: ThreadPool(threads: 1))
        for c in 0..<channels {
            bn.weight.value[c] = 0.6 + Float(c) * 0.3
            bn.bias.value[c] = Float(c) * 0.25 - 0.3
        }
        return bn
    }

    private func expectClose(_ a: [Float], _ b: [Float], _ tolerance: Float, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) values against \(b.count)")
        let largest = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(
            largest <= tolerance,
            "\(what): largest difference \(largest), first values \(a.prefix(4)) against \(b.prefix(4))")
    }
}

extension Tensor {
    fileprivate var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
}

/// Each part's layer and what its thread produced.
private final class PartResults: @unchecked Sendable {
    // @unchecked: part p's layer and results are used by part p's thread alone, and read by the
    // test after `concurrentPerform` returns.
    let layers: [BatchNorm2d]
    var outputs: [[Float]]
    var inputGradients: [[Float]]

    init(layers: [BatchNorm2d]) {
        self.layers = layers
        outputs = Array(repeating: [], count: layers.count)
        inputGradients = Array(repeating: [], count: layers.count)
    }

    func set(_ part: Int, _ output: [Float], _ inputGradient: [Float]) {
        outputs[part] = output
        inputGradients[part] = inputGradient
    }
}

/// Each part's model.
private final class PartModels: @unchecked Sendable {
    // @unchecked: part p's model is used by part p's thread alone, and by the test after
    // `concurrentPerform` returns.
    let models: [Model]

    init(models: [Model]) { self.models = models }
}

/// Threads standing in for processes: each `sum` waits until every member has brought its buffer,
/// then hands each the element-wise total, as `MPI_Allreduce` does.
private final class RendezvousGroup: @unchecked Sendable {
    // @unchecked: `total`, `arrived`, `departed` and `generation` are used only while `condition` is locked.
    private let condition = NSCondition()
    private let parts: Int
    private var total: [Double] = []
    private var arrived = 0
    private var departed = 0
    private var generation = 0

    init(parts: Int) { self.parts = parts }

    func member(share: Double) -> Member { Member(group: self, batchShare: share) }

    final class Member: BatchStatisticsSynchronizer {
        let group: RendezvousGroup
        let batchShare: Double

        init(group: RendezvousGroup, batchShare: Double) {
            self.group = group
            self.batchShare = batchShare
        }

        func sum(_ values: UnsafeMutableBufferPointer<Double>) { group.sum(values) }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        condition.lock()
        defer { condition.unlock() }
        // The previous round must be fully collected before a new one starts adding.
        while departed != 0 { condition.wait() }
        if arrived == 0 { total = Array(repeating: 0, count: values.count) }
        for i in values.indices { total[i] += values[i] }
        arrived += 1
        let round = generation
        if arrived == parts {
            generation += 1
            condition.broadcast()
        }
        while generation == round { condition.wait() }
        for i in values.indices { values[i] = total[i] }
        departed += 1
        if departed == parts {
            arrived = 0
            departed = 0
            condition.broadcast()
        }
    }
}
