import ConvProtocol

/// One of every event and every command, with values a session could send: colour images with
/// distinct pixels and numbers that are not round, so that a round trip losing a field, a pixel or
/// a bit of precision fails.
enum SampleEvents {
    static let shape = ImageShape(channels: 3, height: 2, width: 2)

    static func image(_ seed: Int) -> SampleImage {
        SampleImage(shape: shape, pixels: (0..<shape.valueCount).map { UInt8(truncatingIfNeeded: seed * 37 + $0 * 23) })
    }

    static func prediction(index: Int, trueLabel: Int, predicted: Int, loss: Float) -> Prediction {
        Prediction(
            index: index, trueLabel: trueLabel, predictedLabel: predicted,
            top: [
                ClassProbability(label: predicted, probability: 0.7125),
                ClassProbability(label: (predicted + 1) % 3, probability: 0.2),
                ClassProbability(label: (predicted + 2) % 3, probability: 0.0875),
            ],
            loss: loss, image: image(index))
    }

    /// Three classes, eight images, five of them right.
    static let evaluation = Evaluation(
        split: .validation, epoch: 2, step: 250, loss: 0.4321, accuracy: 0.625,
        confusion: ConfusionMatrix(counts: [[3, 1, 0], [1, 2, 1], [0, 0, 0]]),
        samples: [
            prediction(index: 0, trueLabel: 0, predicted: 0, loss: 0.34),
            prediction(index: 5, trueLabel: 1, predicted: 2, loss: 1.9),
        ],
        misclassified: [
            prediction(index: 5, trueLabel: 1, predicted: 2, loss: 1.9),
            prediction(index: 7, trueLabel: 0, predicted: 1, loss: .infinity),
        ])

    static let summary = RunSummary(
        runName: "cifar-0412", runDirectory: "/tmp/runs/cifar-0412", datasetName: "cifar-10", modelName: "resnet9",
        parameterCount: 2_438_794, classNames: ["airplane", "automobile", "bird"], imageShape: shape,
        trainCount: 45000, testCount: 10000, validationCount: 5000, epochs: 12, stepsPerEpoch: 352,
        batchSize: 128, threads: 2, optimizer: "sgd nesterov 0.9, wd 0.0005, onecycle", learningRate: 0.0625,
        testFlips: true, testShifts: true, kernel: "avx2", startStep: 704)

    /// The summary of a run that sends its model's table: a block with a shortcut, and a head.
    static let summaryWithModelTable: RunSummary = {
        var withTable = summary
        withTable.modelTable = ModelTable(
            rows: [
                ModelTable.Row(
                    depth: 0, name: "res1", layer: "residual with shortcut", outputShape: [16, 2, 2], parameters: 2832,
                    multiplyAdds: 11264, algorithm: ""),
                ModelTable.Row(
                    depth: 1, name: "conv1", layer: "conv 3->16 3x3 p1 no bias", outputShape: [16, 2, 2],
                    parameters: 432, multiplyAdds: 1728, algorithm: "winograd"),
                ModelTable.Row(
                    depth: 0, name: "fc", layer: "linear 64->3", outputShape: [3], parameters: 195, multiplyAdds: 192,
                    algorithm: ""),
            ], parameters: 3027, multiplyAdds: 11456)
        return withTable
    }()

    /// The summary of a run of four MPI ranks.
    static let multiRankSummary: RunSummary = {
        var multiRank = summary
        multiRank.worldSize = 4
        return multiRank
    }()

    static let events: [TrainingEvent] = [
        .started(summary),
        .started(summaryWithModelTable),
        .initialized(
            WeightInitialization(
                source: "/tmp/runs/cifar-0412/checkpoint.safetensors", taken: ["res1.conv1.weight", "res1.bn1.weight"],
                reinitialized: ["fc.weight", "fc.bias"], frozen: ["res1.conv1.weight"])),
        .step(
            StepMetrics(
                epoch: 3, step: 705, stepInEpoch: 1, stepsPerEpoch: 352, smoothedLoss: 1.2345678,
                smoothedAccuracy: 0.5234375, learningRate: 0.061803, imagesPerSecond: 1523.75,
                elapsed: 0.083)),
        .started(multiRankSummary),
        .step(
            StepMetrics(
                epoch: 3, step: 706, stepInEpoch: 2, stepsPerEpoch: 352, smoothedLoss: 1.2345678,
                smoothedAccuracy: 0.5234375, learningRate: 0.061803, imagesPerSecond: 1523.75,
                elapsed: 0.166, communicationSeconds: 0.0123)),
        .epochCompleted(EpochSummary(epoch: 3, step: 1056, loss: 0.98765, accuracy: 0.66015625, seconds: 41.5)),
        .evaluation(evaluation),
        .paused(step: 1056, reason: "non-finite loss"),
        .paused(step: 1056, reason: nil),
        .resumed(step: 1056),
        .learningRateChanged(old: 0.061803, new: 0.0309015, step: 1056),
        .checkpointSaved(path: "/tmp/runs/cifar-0412/checkpoint.safetensors", step: 1056),
        .warning("learning rate -1.0 ignored: it must be a positive number \"quoted\"\nand a second line"),
        .finished(
            FinalResult(
                step: 4224, epoch: 12, seconds: 512.25, lastEvaluation: evaluation,
                checkpointPath: "/tmp/runs/cifar-0412/checkpoint.safetensors")),
        .finished(FinalResult(step: 0, epoch: 0, seconds: 0, lastEvaluation: nil, checkpointPath: nil)),
        .failed("/data/cifar: no training images"),
        .bestImproved(BestEvaluation(figure: .validationLoss, value: 0.43218765, epoch: 7, step: 2464)),
        .earlyStopped(reason: "val_loss has not improved on 0.4322 at epoch 7 for 3 epochs", step: 3520),
        .imageMarked(mark),
        .imageMarked(ImageMark(split: .test, index: 0, kind: .drop, trueLabel: 0, predictedLabel: 2)),
        .imageUnmarked(split: .validation, index: 5),
        .learningRateSweepStarted(LearningRateSweep(step: 1056, steps: 100, startRate: 1e-7, endRate: 10)),
        .learningRateProbed(
            LearningRateProbe(
                step: 1056, index: 41, learningRate: 0.000_123_45, loss: 1.987_654, smoothedLoss: 2.012_34)),
        .learningRateProbed(
            LearningRateProbe(step: 1056, index: 87, learningRate: 3.1623, loss: .infinity, smoothedLoss: .infinity)),
        .learningRateFound(
            LearningRateFinding(step: 1056, probes: 88, diverged: true, suggestion: 0.003_162_3, steepest: 0.000_891)),
        .learningRateFound(LearningRateFinding(step: 0, probes: 7, diverged: false, suggestion: nil, steepest: nil)),
        .undone(
            Rewind(
                step: 1056, fromStep: 1290, intervention: "learning rate 0.0618 → 0.0309", learningRate: 0.061803,
                remaining: 2)),
        .saliency(SaliencyAndLayerHealthTests.maps),
        .layerHealth(
            LayerHealth(
                step: 1041,
                layers: [LayerStatistics(name: "conv1", weightNorm: 3.25, gradientNorm: 0.0123, updateRatio: 0.00137)],
                activations: [ActivationStatistics(name: "bn1", deadFraction: 0.015625)])),
    ]

    /// A mark whose note and file hold what a line must escape.
    static let mark = ImageMark(
        split: .validation, index: 5, kind: .mislabelled, trueLabel: 1, predictedLabel: 2,
        note: "looks like a \"truck\",\nnot a car", file: "train/cat/a, b \"c\".png")

    static let commands: [TrainingCommand] = [
        .pause, .resume, .setLearningRate(0.0125), .scaleLearningRate(0.5), .save(path: nil),
        .save(path: "/tmp/a folder/step 10.safetensors"), .evaluate, .stop,
        .markImage(
            ImageMark(split: .test, index: 812, kind: .drop, trueLabel: 3, predictedLabel: 5, note: "blurred, \"dark\"")
        ),
        .unmarkImage(split: .validation, index: 0),
        .save(path: "/tmp/a folder/step 10.safetensors"), .evaluate, .stop, .findLearningRate(steps: nil),
        .findLearningRate(steps: 250), .undo,
        .explain(SaliencyAndLayerHealthTests.request),
    ]
}
