import ConvData
import ConvEngine
import ConvProtocol
import Foundation
import Testing
import ConvTraining

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
}
