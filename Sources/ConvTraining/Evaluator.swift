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

    public init(
        sampleCount: Int = 32, misclassifiedLimit: Int = 500, batchSize: Int = 250,
        averagesMirrorImages: Bool = false
    ) {
        self.sampleCount = sampleCount
        self.misclassifiedLimit = misclassifiedLimit
        self.batchSize = batchSize
        self.averagesMirrorImages = averagesMirrorImages
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
        let classes = model.outputShape.reduce(1, *)
        var confusion = ConfusionMatrix(classes: classes)
        var totalLoss = 0.0
        var mistakes: [Prediction] = []
        var samples: [Prediction] = []
        let sampleSet = Set(sampleIndices(count: images.count))
        let shape = ImageShape(images.dimensions)
        forEachBatch(model, on: images, normalization: normalization) { batch, logits in
            for row in 0..<batch.count {
                let index = Int(batch.sourceIndices[row])
                let label = Int(batch.labels[row])
                let scored = Self.score(logits.data + row * classes, classes: classes, label: label)
                totalLoss += Double(scored.loss)
                confusion.record(trueLabel: label, predicted: scored.top[0].label)
                let isSample = sampleSet.contains(index)
                guard isSample || scored.top[0].label != label else { continue }
                let prediction = Prediction(
                    index: index, trueLabel: label, predictedLabel: scored.top[0].label,
                    top: Array(scored.top.prefix(3)), loss: scored.loss,
                    image: SampleImage(shape: shape, pixels: []), fileName: images.fileName(at: index))
                if isSample { samples.append(prediction) }
                if !prediction.isCorrect { mistakes.append(prediction) }
            }
        }
        mistakes.sort { $0.loss > $1.loss || ($0.loss == $1.loss && $0.index < $1.index) }
        let worst = mistakes.prefix(misclassifiedLimit).map { withImage($0, from: images) }
        let correct = confusion.counts.indices.reduce(0) { $0 + confusion.counts[$1][$1] }
        return Evaluation(
            split: split, epoch: epoch, step: step,
            loss: images.count == 0 ? 0 : Float(totalLoss / Double(images.count)),
            accuracy: images.count == 0 ? 0 : Float(correct) / Float(images.count),
            confusion: confusion, samples: samples.map { withImage($0, from: images) },
            misclassified: worst)
    }

    /// Every class with its probability, most probable first, for each of `images` in order.
    public func classify(_ model: Model, images: ImageSet, normalization: Normalization) -> [[ClassProbability]] {
        let classes = model.outputShape.reduce(1, *)
        var ranked = [[ClassProbability]](repeating: [], count: images.count)
        forEachBatch(model, on: images, normalization: normalization) { batch, logits in
            for row in 0..<batch.count {
                ranked[Int(batch.sourceIndices[row])] =
                    Self.score(logits.data + row * classes, classes: classes, label: 0, keeping: classes).top
            }
        }
        return ranked
    }

    /// Runs `model` over `images` in order, in batches, and hands each batch with its logits (N, classes)
    /// to `body`; the logits are the average over the image and its mirror when `averagesMirrorImages`.
    private func forEachBatch(
        _ model: Model, on images: ImageSet, normalization: Normalization,
        _ body: (Batch, Tensor) -> Void
    ) {
        let loader = BatchLoader(
            images: images, batchSize: batchSize, shuffle: false, seed: 0,
            augmentation: .none, normalization: normalization)
        var batch = loader.makeBatch()
        let input = Tensor(shape: [0]), averaged = Tensor(shape: [0])
        let order = loader.order(epoch: 0)
        for b in 0..<loader.batchesPerEpoch {
            loader.load(BatchPosition(epoch: 0, batch: b), order: order, into: &batch)
            input.resize(to: [batch.count] + model.inputShape)
            batch.images.withUnsafeBufferPointer { input.data.update(from: $0.baseAddress!, count: input.count) }
            var logits = model.forward(input, training: false)
            if averagesMirrorImages {
                // The model reuses its output tensor: keep the first logits before the second pass.
                averaged.resize(to: logits.shape)
                averaged.data.update(from: logits.data, count: logits.count)
                Self.mirror(input)
                let mirrored = model.forward(input, training: false)
                for i in 0..<averaged.count { averaged.data[i] = (averaged.data[i] + mirrored.data[i]) / 2 }
                logits = averaged
            }
            body(batch, logits)
        }
    }

    private func withImage(_ prediction: Prediction, from images: ImageSet) -> Prediction {
        var copy = prediction
        copy.image.pixels = Array(images.image(at: prediction.index))
        return copy
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
