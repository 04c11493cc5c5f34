import ConvProtocol
import ConvTUI
import Foundation

/// A small, deterministic run for widget and reducer tests: its events look like a real session's,
/// with images drawn from simple shapes so that thumbnails have known pixels.
enum SampleRun {
    static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    static func summary(epochs: Int = 2, stepsPerEpoch: Int = 100, shape: ImageShape = grey) -> RunSummary {
        RunSummary(
            runName: "demo", runDirectory: "runs/demo", datasetName: "fashion-mnist", modelName: "lenet",
            parameterCount: 61706, classNames: classNames, imageShape: shape, trainCount: 60000,
            testCount: 10000, validationCount: 0, epochs: epochs, stepsPerEpoch: stepsPerEpoch,
            batchSize: 64, threads: 2, optimizer: "sgd", learningRate: 0.01, kernel: "avx512", startStep: 0)
    }

    static let grey = ImageShape(channels: 1, height: 28, width: 28)
    static let color = ImageShape(channels: 3, height: 32, width: 32)

    /// A grey image whose left half is black and right half white.
    static func halves(_ shape: ImageShape = grey) -> SampleImage {
        var pixels = [UInt8](repeating: 0, count: shape.channels * shape.height * shape.width)
        for c in 0..<shape.channels {
            for y in 0..<shape.height {
                for x in shape.width / 2..<shape.width { pixels[(c * shape.height + y) * shape.width + x] = 255 }
            }
        }
        return SampleImage(shape: shape, pixels: pixels)
    }

    static func step(_ step: Int, loss: Float, stepsPerEpoch: Int = 100, lr: Double = 0.01) -> StepMetrics {
        StepMetrics(
            epoch: (step - 1) / stepsPerEpoch + 1, step: step, stepInEpoch: (step - 1) % stepsPerEpoch + 1,
            stepsPerEpoch: stepsPerEpoch, smoothedLoss: loss, smoothedAccuracy: 1 - loss / 3, learningRate: lr,
            imagesPerSecond: 6400, elapsed: Double(step) * 0.01)
    }

    static func prediction(
        index: Int, trueLabel: Int, predicted: Int, loss: Float,
        image: SampleImage = halves()
    ) -> Prediction {
        let top = [
            ClassProbability(label: predicted, probability: 0.6),
            ClassProbability(label: trueLabel == predicted ? (predicted + 1) % 10 : trueLabel, probability: 0.3),
            ClassProbability(label: (predicted + 2) % 10, probability: 0.1),
        ]
        return Prediction(
            index: index, trueLabel: trueLabel, predictedLabel: predicted, top: top, loss: loss,
            image: image)
    }

    /// A matrix where class t has 90 right and 10 predicted as (t + 1) % 10; class 6 has 70 right,
    /// 30 predicted as class 0.
    static func confusion() -> ConfusionMatrix {
        var m = ConfusionMatrix(classes: 10)
        for t in 0..<10 {
            let wrong = t == 6 ? 30 : 10
            let other = t == 6 ? 0 : (t + 1) % 10
            m.counts[t][t] = 100 - wrong
            m.counts[t][other] = wrong
        }
        return m
    }

    static func evaluation(
        epoch: Int, step: Int, loss: Float = 0.4, confusion: ConfusionMatrix = confusion(),
        sampleCount: Int = 6
    ) -> Evaluation {
        let samples = (0..<sampleCount).map {
            prediction(index: $0, trueLabel: $0 % 10, predicted: $0 == 4 ? 6 : $0 % 10, loss: 0.2)
        }
        let misclassified = [
            prediction(index: 10, trueLabel: 6, predicted: 0, loss: 3.0),
            prediction(index: 11, trueLabel: 4, predicted: 5, loss: 2.5),
            prediction(index: 12, trueLabel: 6, predicted: 0, loss: 2.0),
            prediction(index: 13, trueLabel: 6, predicted: 2, loss: 1.5),
            prediction(index: 14, trueLabel: 2, predicted: 3, loss: 1.0),
        ]
        return Evaluation(
            split: .test, epoch: epoch, step: step, loss: loss,
            accuracy: Float(confusion.counts.indices.map { confusion.counts[$0][$0] }.reduce(0, +)) / 1000,
            confusion: confusion, samples: samples, misclassified: misclassified)
    }

    /// Start, 200 steps of a decaying loss with a learning-rate change at 120, an evaluation per epoch
    /// (whose predictions cover `sampleCount` fixed test images, as a session's 32 do).
    static func events(sampleCount: Int = 6) -> [TrainingEvent] {
        var events: [TrainingEvent] = [.started(summary())]
        for s in 1...200 {
            let loss = Float(2.3 * exp(-Double(s) / 60) + 0.2 + 0.05 * sin(Double(s)))
            events.append(.step(step(s, loss: loss, lr: s > 120 ? 0.005 : 0.01)))
            if s == 120 { events.append(.learningRateChanged(old: 0.01, new: 0.005, step: 120)) }
            if s % 100 == 0 {
                events.append(
                    .epochCompleted(
                        EpochSummary(
                            epoch: s / 100, step: s, loss: loss, accuracy: 0.7,
                            seconds: 1)))
                events.append(
                    .evaluation(evaluation(epoch: s / 100, step: s, loss: loss + 0.1, sampleCount: sampleCount)))
            }
        }
        return events
    }

    static func state(_ events: [TrainingEvent] = events()) -> DashboardStateBox {
        DashboardStateBox(events: events)
    }
}

/// A dashboard state built from events, for tests.
struct DashboardStateBox {
    var state = DashboardState()
    init(events: [TrainingEvent]) {
        for e in events { state.apply(e) }
    }
}
