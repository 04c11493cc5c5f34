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
        testFlips: true, kernel: "avx2", startStep: 704)

    /// The summary of a run of four MPI ranks.
    static let multiRankSummary: RunSummary = {
        var multiRank = summary
        multiRank.worldSize = 4
        return multiRank
    }()

    static let events: [TrainingEvent] = [
        .started(summary),
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
    ]

    static let commands: [TrainingCommand] = [
        .pause, .resume, .setLearningRate(0.0125), .scaleLearningRate(0.5), .save(path: nil),
        .save(path: "/tmp/a folder/step 10.safetensors"), .evaluate, .stop,
    ]
}
