import ConvEngine
import Foundation
import Testing

/// Two batch-norm layers on two threads, each with some rows of one batch and synchronized with each
/// other, against one layer on the whole batch: SyncBatchNorm must give the same outputs, running
/// statistics and (added up, as data-parallel training adds them) gradients. Split where the
/// engine's summation order cuts the batch (`n / 2` rows first, over 16 rows), the halves must
/// give the very bits of the whole.
@Suite struct SyncBatchNormTests {
    /// Planes of 72 (over `largestImageSplitPlane`: channel by channel) and of 9 (image by image),
    /// with ReLU and without, batches split at the summation order's cut and elsewhere.
    @Test(arguments: [
        (9, 8, false, 40, 20), (9, 8, true, 37, 18), (3, 3, true, 40, 20), (3, 3, false, 37, 18), (9, 8, true, 5, 3),
        (3, 3, true, 5, 1),
    ])
    func twoSynchronizedPartsMatchTheWholeBatch(height: Int, width: Int, relu: Bool, batch: Int, firstRows: Int) {
        let channels = 4, plane = height * width
        let shape = [batch, channels, height, width], imageSize = channels * plane
        var generator = RandomGenerator(seed: 21)
        let x = (0..<batch * imageSize).map { _ in generator.uniform(-2, 3) }
        // dLoss/dy of the whole batch's mean loss, which each part's rows share.
        let dy = (0..<batch * imageSize).map { _ in generator.uniform(-1, 1) / Float(batch) }
        let whole = Self.layer(channels, relu: relu)
        let y = whole.forward(Tensor(shape: shape, values: x), training: true).values
        let dx = whole.backward(Tensor(shape: shape, values: dy)).values

        let parts = [0..<firstRows, firstRows..<batch]
        let group = RendezvousGroup(parts: 2)
        let layers = parts.map { _ in
            let layer = Self.layer(channels, relu: relu)
            layer.synchronizer = group.member()
            return layer
        }
        let results = PartResults(layers: layers)
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            let rows = parts[p], slice = rows.lowerBound * imageSize..<rows.upperBound * imageSize
            let partShape = [rows.count, channels, height, width]
            let output = results.layers[p].forward(Tensor(shape: partShape, values: Array(x[slice])), training: true)
                .values
            results.set(
                p, output, results.layers[p].backward(Tensor(shape: partShape, values: Array(dy[slice]))).values)
        }
        // Cut where the summation order cuts, the parts' sums are the whole's halves exactly.
        let exact = batch > 16 && firstRows == batch / 2
        let tolerance = { (loose: Float) in exact ? 0 : loose }
        expectClose(results.outputs[0] + results.outputs[1], y, tolerance(1e-5), "outputs")
        expectClose(results.inputGradients[0] + results.inputGradients[1], dx, tolerance(1e-6), "input gradients")
        for p in 0..<2 {
            expectClose(layers[p].runningMean.values, whole.runningMean.values, tolerance(1e-6), "running mean")
            expectClose(
                layers[p].runningVariance.values, whole.runningVariance.values, tolerance(1e-5), "running variance")
        }
        for (name, of) in [("weight", \BatchNorm2d.weight), ("bias", \BatchNorm2d.bias)] {
            let summed = (0..<channels).map { c in
                layers[0][keyPath: of].gradient[c] + layers[1][keyPath: of].gradient[c]
            }
            expectClose(summed, whole[keyPath: of].gradient.values, tolerance(1e-5), "\(name) gradient")
        }
    }

    /// A preset on an image size that picks its kernels (see `SummationOrderTests`), and a batch.
    struct Case: CustomTestStringConvertible, Sendable {
        var preset: ModelPreset
        var input: (channels: Int, height: Int, width: Int)
        var batch: Int
        var testDescription: String { "\(preset) on \(input.channels)x\(input.height)x\(input.width), batch \(batch)" }
    }

    /// One training step of a whole model on a batch, against two synchronized models on two
    /// threads with its halves, as two data-parallel ranks split it (`n / 2` rows first), each
    /// loss the mean over the whole batch: the halves' parameter gradients add up to the whole's
    /// bit for bit, and every model ends with the whole's batch-norm statistics.
    @Test(arguments: [
        Case(preset: .lenet, input: (1, 28, 28), batch: 64), Case(preset: .convnet5, input: (1, 28, 28), batch: 64),
        Case(preset: .convnet5, input: (1, 14, 14), batch: 37), Case(preset: .convnet5, input: (3, 32, 32), batch: 50),
    ])
    func twoSynchronizedHalvesAddUpToTheWholeBatch(kase: Case) {
        let (batch, input, classes) = (kase.batch, kase.input, 10)
        let shape = [input.channels, input.height, input.width], imageSize = shape.reduce(1, *)
        var generator = RandomGenerator(seed: 5)
        let x = (0..<batch * imageSize).map { _ in generator.uniform(0, 1) }
        let labels = (0..<batch).map { $0 % classes }
        let build = { kase.preset.build(input: input, classes: classes, seed: 3, pool: ThreadPool(threads: 1)) }
        let whole = build(), loss = SoftmaxCrossEntropy()
        _ = loss.forward(
            logits: whole.forward(Tensor(shape: [batch] + shape, values: x), training: true), labels: labels)
        whole.backward(loss.gradient)

        let parts = [0..<batch / 2, batch / 2..<batch]
        let group = RendezvousGroup(parts: 2)
        let models = PartModels(
            models: parts.map { _ in
                let model = build()
                model.batchStatisticsSynchronizer = group.member()
                return model
            })
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            let rows = parts[p], model = models.models[p], partLoss = SoftmaxCrossEntropy()
            let part = Array(x[rows.lowerBound * imageSize..<rows.upperBound * imageSize])
            let logits = model.forward(Tensor(shape: [rows.count] + shape, values: part), training: true)
            _ = partLoss.forward(logits: logits, labels: Array(labels[rows]), averagedOver: batch)
            model.backward(partLoss.gradient)
        }
        for (i, parameter) in whole.namedParameters.enumerated() {
            let summed = (0..<parameter.gradient.count).map { j in
                models.models[0].namedParameters[i].gradient[j] + models.models[1].namedParameters[i].gradient[j]
            }
            expectClose(summed, parameter.gradient.values, 0, "\(parameter.name) gradient")
        }
        for (i, buffer) in whole.namedBuffers.enumerated() {
            for model in models.models {
                expectClose(model.namedBuffers[i].value.values, buffer.value.values, 0, buffer.name)
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

    /// Within `tolerance` of each other; a tolerance of 0 asks for the same bits.
    private func expectClose(_ a: [Float], _ b: [Float], _ tolerance: Float, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) values against \(b.count)")
        if tolerance == 0 {
            let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }
            #expect(
                differing.isEmpty,
                "\(what): \(differing.count) of \(a.count) values differ, first \(differing.prefix(3))")
            return
        }
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

    func member() -> Member { Member(group: self) }

    final class Member: BatchStatisticsSynchronizer {
        let group: RendezvousGroup

        init(group: RendezvousGroup) { self.group = group }

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
