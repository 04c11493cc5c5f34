import ConvData
import ConvEngine
import ConvProtocol
import Foundation

/// Measures a model on a set of images: loss, accuracy, confusion matrix, the predictions for a
/// fixed sample of images and the worst mistakes, each named by its file when the set has files.
///
/// Runs the model in evaluation mode in large batches; the engine's pool spreads each batch over
/// every thread.
public struct Evaluator {
    /// How many images, spread evenly over the set, every evaluation reports predictions for.
    public var sampleCount: Int
    /// The most misclassified images reported, highest loss first.
    public var misclassifiedLimit: Int
    public var batchSize: Int
    /// Whether every image is also run mirrored left-right and the two sets of logits averaged:
    /// test-time augmentation for a model trained with flips, at twice the cost.
    public var averagesMirrorImages: Bool
    /// Whether every image is also run shifted one pixel up and left and one pixel down and right
    /// (edges reflected), each shift mirrored too with `averagesMirrorImages`, and the logits
    /// weighed half for the image and a quarter for each shift, as airbench's test-time
    /// augmentation: for a model trained on crops, at three times the cost.
    public var averagesShiftedImages: Bool

    public init(
        sampleCount: Int = 32, misclassifiedLimit: Int = 500, batchSize: Int = 250,
        averagesMirrorImages: Bool = false, averagesShiftedImages: Bool = false
    ) {
        self.sampleCount = sampleCount
        self.misclassifiedLimit = misclassifiedLimit
        self.batchSize = batchSize
        self.averagesMirrorImages = averagesMirrorImages
        self.averagesShiftedImages = averagesShiftedImages
    }

    /// The indices of the fixed sample: the same images at every evaluation of a set.
    public func sampleIndices(count: Int) -> [Int] {
        let n = min(sampleCount, count)
        return (0..<n).map { $0 * count / n }
    }

    /// Evaluates `model` on `images` normalised with `normalization`. The loss is plain
    /// cross-entropy (no label smoothing), averaged over the images.
    public func evaluate(
        _ model: Model, on images: ImageSet, normalization: Normalization, split: Split,
        epoch: Int, step: Int
    ) -> Evaluation {
        let all = tally(model, on: images, normalization: normalization, batches: 0..<batchCount(images))
        return evaluation(of: [all], on: images, split: split, epoch: epoch, step: step)
    }

    /// The number of batches an evaluation of `images` runs, which `tally` may split.
    public func batchCount(_ images: ImageSet) -> Int { (images.count + batchSize - 1) / batchSize }

    /// What an evaluation counts over `batches` of `images`: tallies of disjoint batches of a set
    /// make up the set's evaluation (`evaluation(of:)`), whichever process counted them.
    public func tally(
        _ model: Model, on images: ImageSet, normalization: Normalization, batches: Range<Int>
    ) -> EvaluationTally {
        let classes = model.outputShape.reduce(1, *)
        var tally = EvaluationTally(classes: classes)
        let sampleSet = Set(sampleIndices(count: images.count))
        let shape = ImageShape(images.dimensions)
        forEachBatch(model, on: images, normalization: normalization, batches: batches) { batch, logits in
            for row in 0..<batch.count {
                let index = Int(batch.sourceIndices[row])
                let label = Int(batch.labels[row])
                let scored = Self.score(logits.data + row * classes, classes: classes, label: label)
                tally.lossSum += Double(scored.loss)
                tally.confusion.record(trueLabel: label, predicted: scored.top[0].label)
                let isSample = sampleSet.contains(index)
                guard isSample || scored.top[0].label != label else { continue }
                let prediction = Prediction(
                    index: index, trueLabel: label, predictedLabel: scored.top[0].label,
                    top: Array(scored.top.prefix(3)), loss: scored.loss,
                    image: SampleImage(shape: shape, pixels: []), fileName: images.fileName(at: index))
                if isSample { tally.samples.append(prediction) }
                if !prediction.isCorrect { tally.mistakes.append(prediction) }
            }
        }
        tally.keepWorstMistakes(misclassifiedLimit)
        return tally
    }

    /// The evaluation of `images` from the tallies of all its batches, with the images of its
    /// sample and mistakes.
    public func evaluation(
        of tallies: [EvaluationTally], on images: ImageSet, split: Split, epoch: Int, step: Int
    ) -> Evaluation {
        var total = tallies[0]
        for part in tallies.dropFirst() { total.add(part) }
        total.keepWorstMistakes(misclassifiedLimit)
        let confusion = total.confusion
        let correct = confusion.counts.indices.reduce(0) { $0 + confusion.counts[$1][$1] }
        return Evaluation(
            split: split, epoch: epoch, step: step,
            loss: images.count == 0 ? 0 : Float(total.lossSum / Double(images.count)),
            accuracy: images.count == 0 ? 0 : Float(correct) / Float(images.count),
            confusion: confusion,
            samples: total.samples.sorted { $0.index < $1.index }.map { withImage($0, from: images) },
            misclassified: total.mistakes.map { withImage($0, from: images) })
    }

    /// Every class with its probability, most probable first, for each of `images` in order.
    public func classify(_ model: Model, images: ImageSet, normalization: Normalization) -> [[ClassProbability]] {
        let classes = model.outputShape.reduce(1, *)
        var ranked = [[ClassProbability]](repeating: [], count: images.count)
        let batches = 0..<batchCount(images)
        forEachBatch(model, on: images, normalization: normalization, batches: batches) { batch, logits in
            for row in 0..<batch.count {
                ranked[Int(batch.sourceIndices[row])] =
                    Self.score(logits.data + row * classes, classes: classes, label: 0, keeping: classes).top
            }
        }
        return ranked
    }

    /// Runs `model` over `batches` of `images` in order and hands each batch with its logits (N, classes)
    /// to `body`, averaged over the views `averagesMirrorImages` and `averagesShiftedImages` add.
    private func forEachBatch(
        _ model: Model, on images: ImageSet, normalization: Normalization, batches: Range<Int>,
        _ body: (Batch, Tensor) -> Void
    ) {
        let loader = BatchLoader(
            images: images, batchSize: batchSize, shuffle: false, seed: 0,
            augmentation: .none, normalization: normalization)
        var batch = loader.makeBatch()
        let input = Tensor(shape: [0]), logits = Tensor(shape: [0])
        let shiftedLogits = [Tensor(shape: [0]), Tensor(shape: [0])]
        let order = loader.order(epoch: 0)
        for b in batches {
            loader.load(BatchPosition(epoch: 0, batch: b), order: order, into: &batch)
            input.resize(to: [batch.count] + model.inputShape)
            batch.images.withUnsafeBufferPointer { images in
                input.data.update(from: images.baseAddress!, count: input.count)
                logitsOfViews(model, input, into: logits)
                guard averagesShiftedImages else { return }
                for (offset, shifted) in zip([-1, 1], shiftedLogits) {
                    Self.shift(images.baseAddress!, by: offset, into: input)
                    logitsOfViews(model, input, into: shifted)
                }
                let (a, b, c) = (logits.data, shiftedLogits[0].data, shiftedLogits[1].data)
                for i in 0..<logits.count { a[i] = 0.5 * a[i] + 0.25 * (b[i] + c[i]) }
            }
            body(batch, logits)
        }
    }

    /// The logits of `input` copied into `result`, averaged with its mirror image's when
    /// `averagesMirrorImages` (which leaves `input` mirrored). The model reuses its output tensor,
    /// so each pass's logits are copied out before the next.
    private func logitsOfViews(_ model: Model, _ input: Tensor, into result: Tensor) {
        let logits = model.forward(input, training: false)
        result.resize(to: logits.shape)
        result.data.update(from: logits.data, count: logits.count)
        guard averagesMirrorImages else { return }
        Self.mirror(input)
        let mirrored = model.forward(input, training: false)
        for i in 0..<result.count { result.data[i] = (result.data[i] + mirrored.data[i]) / 2 }
    }

    private func withImage(_ prediction: Prediction, from images: ImageSet) -> Prediction {
        var copy = prediction
        copy.image.pixels = Array(images.image(at: prediction.index))
        return copy
    }

    /// `images` (laid out as `target`, N x C x H x W) moved so that pixel (y, x) of `target` is
    /// pixel (y + offset, x + offset) of the source, reflected at the edges as PyTorch's `reflect`
    /// padding (-1 reads 1, H reads H - 2).
    static func shift(_ images: UnsafePointer<Float>, by offset: Int, into target: Tensor) {
        let (height, width) = (target.shape[2], target.shape[3])
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? min(-i, n - 1) : i >= n ? max(2 * n - 2 - i, 0) : i }
        let columns = (0..<width).map { reflect($0 + offset, width) }
        for plane in 0..<(target.count / (height * width)) {
            let source = images + plane * height * width, destination = target.data + plane * height * width
            for y in 0..<height {
                let row = source + reflect(y + offset, height) * width, out = destination + y * width
                for x in 0..<width { out[x] = row[columns[x]] }
            }
        }
    }

    /// Reverses every row of the images (N, C, H, W) in place.
    static func mirror(_ images: Tensor) {
        let width = images.shape[3]
        for row in 0..<(images.count / width) {
            let start = images.data + row * width
            for x in 0..<(width / 2) {
                let left = start[x]
                start[x] = start[width - 1 - x]
                start[width - 1 - x] = left
            }
        }
    }

    /// The `keeping` most probable classes by softmax, most probable first, and the cross-entropy of `label`.
    static func score(_ logits: UnsafeMutablePointer<Float>, classes: Int, label: Int, keeping: Int = 3)
        -> (top: [ClassProbability], loss: Float)
    {
        var maxValue = logits[0]
        for j in 1..<classes where logits[j] > maxValue { maxValue = logits[j] }
        var sum: Float = 0
        for j in 0..<classes { sum += exp(logits[j] - maxValue) }
        let logSum = log(sum) + maxValue
        var top = (0..<classes).map { ClassProbability(label: $0, probability: exp(logits[$0] - logSum)) }
        // Stable on ties so the first of equal logits wins, as in the training accuracy.
        top = top.enumerated().sorted {
            $0.element.probability > $1.element.probability
                || ($0.element.probability == $1.element.probability && $0.offset < $1.offset)
        }.map(\.element)
        let loss = logSum - logits[label]
        return (Array(top.prefix(keeping)), loss.isFinite ? loss : .infinity)
    }
}

/// What an evaluation counted over some batches of a set (`Evaluator.tally`); tallies of disjoint
/// batches add up. Predictions carry no pixels yet.
public struct EvaluationTally: Sendable, Equatable {
    /// The summed cross-entropy of the counted images.
    public var lossSum = 0.0
    public var confusion: ConfusionMatrix
    /// The predictions for the images of the fixed sample among the counted ones.
    public var samples: [Prediction] = []
    /// Misclassified images, highest loss first once `keepWorstMistakes` has run.
    public var mistakes: [Prediction] = []

    public init(classes: Int) {
        confusion = ConfusionMatrix(classes: classes)
    }

    public init(lossSum: Double, confusion: ConfusionMatrix, samples: [Prediction], mistakes: [Prediction]) {
        self.lossSum = lossSum
        self.confusion = confusion
        self.samples = samples
        self.mistakes = mistakes
    }

    /// Adds the counts and predictions of disjoint batches.
    public mutating func add(_ other: EvaluationTally) {
        lossSum += other.lossSum
        for (row, counts) in other.confusion.counts.enumerated() {
            for (column, count) in counts.enumerated() { confusion.counts[row][column] += count }
        }
        samples += other.samples
        mistakes += other.mistakes
    }

    /// Keeps the `limit` misclassified images of highest loss, highest first (lower index first on ties).
    mutating func keepWorstMistakes(_ limit: Int) {
        mistakes.sort { $0.loss > $1.loss || ($0.loss == $1.loss && $0.index < $1.index) }
        mistakes = Array(mistakes.prefix(limit))
    }
}
