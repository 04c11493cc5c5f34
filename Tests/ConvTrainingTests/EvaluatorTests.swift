import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// Test-time flips: each image and its mirror image, with the two sets of logits averaged.
@Suite struct EvaluatorTests {
    static func mirrored(_ images: ImageSet) -> ImageSet {
        let width = images.dimensions.width
        var pixels = images.pixels
        for row in 0..<(pixels.count / width) { pixels[(row * width)..<((row + 1) * width)].reverse() }
        return ImageSet(dimensions: images.dimensions, pixels: pixels, labels: images.labels)
    }

    @Test func averagingMirrorImagesSeesBothViews() {
        let images = StripesDataset.images(count: 40, seed: 5), flipped = Self.mirrored(images)
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 4, pool: ThreadPool(threads: 1))
        let normalization = Normalization(mean: [0.2], standardDeviation: [0.3])
        func evaluate(_ set: ImageSet, mirrors: Bool) -> Evaluation {
            Evaluator(batchSize: 16, averagesMirrorImages: mirrors)
                .evaluate(model, on: set, normalization: normalization, split: .test, epoch: 1, step: 0)
        }
        let plain = evaluate(images, mirrors: false), plainFlipped = evaluate(flipped, mirrors: false)
        // The untrained net does not see a stripe and its mirror alike...
        #expect(plain.loss != plainFlipped.loss)
        // ...but with both views averaged, an image and its mirror image are the same input.
        let both = evaluate(images, mirrors: true), bothFlipped = evaluate(flipped, mirrors: true)
        #expect(abs(both.loss - bothFlipped.loss) < 1e-6)
        #expect(both.confusion.counts == bothFlipped.confusion.counts)
        // Cross-entropy is convex in the logits: the averaged view loses no more than the mean of the two.
        #expect(both.loss <= (plain.loss + plainFlipped.loss) / 2 + 1e-6)
        #expect(both.loss != plain.loss)
    }

    /// `images` moved so that pixel (y, x) is the source's (y + offset, x + offset), edges reflected:
    /// written out here on the bytes, apart from the evaluator's own shift of normalised tensors.
    static func shifted(_ images: ImageSet, by offset: Int) -> ImageSet {
        let (height, width) = (images.dimensions.height, images.dimensions.width)
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : i >= n ? 2 * n - 2 - i : i }
        var pixels = images.pixels
        for plane in 0..<(pixels.count / (height * width)) {
            for y in 0..<height {
                for x in 0..<width {
                    pixels[plane * height * width + y * width + x] =
                        images.pixels[
                            plane * height * width + reflect(y + offset, height) * width + reflect(x + offset, width)]
                }
            }
        }
        return ImageSet(dimensions: images.dimensions, pixels: pixels, labels: images.labels)
    }

    /// With shifts, the logits weigh the image half and each one-pixel shift a quarter: the
    /// probabilities are the softmax of that mix of the three views' own log-probabilities.
    @Test(arguments: [false, true])
    func averagingShiftedImagesWeighsTheImageHalf(mirrors: Bool) {
        let images = StripesDataset.images(count: 24, seed: 8)
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 5, pool: ThreadPool(threads: 1))
        let normalization = Normalization(mean: [0.2], standardDeviation: [0.3])
        let views = Evaluator(batchSize: 16, averagesMirrorImages: mirrors)
        let (plain, upLeft, downRight) = (
            views.classify(model, images: images, normalization: normalization),
            views.classify(model, images: Self.shifted(images, by: 1), normalization: normalization),
            views.classify(model, images: Self.shifted(images, by: -1), normalization: normalization)
        )
        let shifts = Evaluator(batchSize: 16, averagesMirrorImages: mirrors, averagesShiftedImages: true)
        let averaged = shifts.classify(model, images: images, normalization: normalization)
        func probabilities(_ ranked: [ClassProbability]) -> [Double] {
            (0..<3).map { label in Double(ranked.first { $0.label == label }!.probability) }
        }
        var largestDifference = 0.0
        for i in 0..<images.count {
            let (p, u, d) = (probabilities(plain[i]), probabilities(upLeft[i]), probabilities(downRight[i]))
            let mixed: [Double] = (0..<3).map { label in
                let logProbability: Double = 0.5 * log(p[label]) + 0.25 * (log(u[label]) + log(d[label]))
                return exp(logProbability)
            }
            let total = mixed.reduce(0, +), actual = probabilities(averaged[i])
            for label in 0..<3 {
                largestDifference = max(largestDifference, abs(mixed[label] / total - actual[label]))
            }
        }
        #expect(largestDifference < 1e-4)
        // The shifted views are other inputs: the mix is not the plain prediction.
        #expect(zip(plain, averaged).contains { probabilities($0) != probabilities($1) })
    }

    @Test func classifyRanksEveryClassAndAgreesWithEvaluate() {
        let images = StripesDataset.images(count: 40, seed: 6)
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 2, pool: ThreadPool(threads: 1))
        let normalization = Normalization(mean: [0.2], standardDeviation: [0.3])
        let evaluator = Evaluator(batchSize: 16)
        let ranked = evaluator.classify(model, images: images, normalization: normalization)
        #expect(ranked.count == 40)
        for classes in ranked {
            #expect(Set(classes.map(\.label)) == [0, 1, 2])
            #expect(abs(classes.map(\.probability).reduce(0, +) - 1) < 1e-5)
            #expect(zip(classes, classes.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        }
        // The confusion matrix counts each image under its true label and evaluate's top class.
        let evaluation = evaluator.evaluate(
            model, on: images, normalization: normalization, split: .test, epoch: 1, step: 0)
        var counts = [[Int]](repeating: [0, 0, 0], count: 3)
        for (label, classes) in zip(images.labels, ranked) { counts[Int(label)][classes[0].label] += 1 }
        #expect(counts == evaluation.confusion.counts)
    }

    /// Every reported image of a set with files carries its file; a set without files reports none.
    @Test func predictionsNameTheirFiles() {
        let plain = StripesDataset.images(count: 40, seed: 7)
        let named = ImageSet(
            dimensions: plain.dimensions, pixels: plain.pixels, labels: plain.labels,
            fileNames: plain.labels.indices.map { "val/\(plain.labels[$0])/image \($0).png" })
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 3, pool: ThreadPool(threads: 1))
        let evaluator = Evaluator(sampleCount: 8, batchSize: 16)
        func evaluate(_ images: ImageSet) -> Evaluation {
            evaluator.evaluate(
                model, on: images, normalization: Normalization(mean: [0.2], standardDeviation: [0.3]),
                split: .validation, epoch: 1, step: 0)
        }
        let withFiles = evaluate(named)
        let reported = withFiles.samples + withFiles.misclassified
        #expect(withFiles.samples.count == 8 && !withFiles.misclassified.isEmpty)
        for prediction in reported {
            #expect(prediction.fileName == "val/\(prediction.trueLabel)/image \(prediction.index).png")
        }
        let withoutFiles = evaluate(plain)
        #expect((withoutFiles.samples + withoutFiles.misclassified).allSatisfy { $0.fileName == nil })
        #expect(withoutFiles.confusion == withFiles.confusion)
    }
}
