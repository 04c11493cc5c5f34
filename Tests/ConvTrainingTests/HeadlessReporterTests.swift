import ConvProtocol
import ConvTraining
import Testing

@Suite struct HeadlessReporterTests {
    static let summary = RunSummary(
        runName: "r", runDirectory: "runs/r", datasetName: "fashion-mnist", modelName: "lenet",
        parameterCount: 44426, classNames: ["T-shirt/top", "Trouser", "Pullover"],
        imageShape: ImageShape(channels: 1, height: 28, width: 28), trainCount: 600, testCount: 100,
        validationCount: 0, epochs: 2, stepsPerEpoch: 100, batchSize: 6, threads: 2, optimizer: "sgd",
        learningRate: 0.01, kernel: "avx512", startStep: 0)

    static func step(_ n: Int, elapsed: Double) -> TrainingEvent {
        .step(
            StepMetrics(
                epoch: n / 100 + 1, step: n, stepInEpoch: n % 100, stepsPerEpoch: 100, smoothedLoss: 0.61234,
                smoothedAccuracy: 0.773, learningRate: 0.01, imagesPerSecond: 5123.4, elapsed: elapsed))
    }

    @Test func startLinesDescribeModelDataAndRunFolder() {
        var reporter = HeadlessReporter()
        let lines = reporter.lines(for: .started(Self.summary))
        #expect(
            lines == [
                "training lenet (44426 parameters) on fashion-mnist: 600 train, 100 test images of 1x28x28, 3 classes",
                "2 epochs x 100 steps of 6, sgd lr 0.01, 2 threads, kernel avx512",
                "run folder: runs/r",
            ])
        var one = Self.summary
        (one.epochs, one.testFlips, one.testShifts) = (1, true, true)
        #expect(
            reporter.lines(for: .started(one))[1]
                == "1 epoch x 100 steps of 6, sgd lr 0.01, test flips and shifts, 2 threads, kernel avx512")
    }

    @Test func stepLinesComeEveryNStepsEvenWhenStepsWereCoalesced() {
        var reporter = HeadlessReporter(stepsPerLine: 20)
        _ = reporter.lines(for: .started(Self.summary))
        var printed: [Int] = []
        for n in [5, 19, 23, 24, 39, 40, 41, 95, 130] {
            if !reporter.lines(for: Self.step(n, elapsed: 1)).isEmpty { printed.append(n) }
        }
        #expect(printed == [23, 40, 95, 130])
    }

    @Test func aStepLineShowsProgressAndAnETAFromTheElapsedTime() {
        var reporter = HeadlessReporter(stepsPerLine: 10)
        _ = reporter.lines(for: .started(Self.summary))
        // 50 steps took 10 s, so the remaining 150 take 30 s.
        let lines = reporter.lines(for: Self.step(50, elapsed: 10))
        #expect(lines == ["epoch 1/2  step  50/200  loss 0.6123  acc  77.30%  lr 0.01    5123 img/s  ETA 30.0s"])
    }

    @Test func evaluationShowsAccuracyAndEveryClassByName() {
        let evaluation = Evaluation(
            split: .test, epoch: 1, step: 100, loss: 0.5, accuracy: 0.75,
            confusion: ConfusionMatrix(counts: [[3, 1, 0], [0, 2, 0], [0, 1, 1]]),
            samples: [], misclassified: [])
        var reporter = HeadlessReporter()
        _ = reporter.lines(for: .started(Self.summary))
        #expect(
            reporter.lines(for: .evaluation(evaluation)) == [
                "test after epoch 1: loss 0.5000  accuracy  75.00% (6/8)",
                "  T-shirt/top  75.00%   Trouser     100.00%   Pullover     50.00%",
            ])
    }

    @Test func interventionsAndTheResultAreReported() {
        var reporter = HeadlessReporter()
        #expect(
            reporter.lines(for: .learningRateChanged(old: 0.01, new: 0.005, step: 7))
                == ["learning rate 0.01 -> 0.005 at step 7"])
        #expect(
            reporter.lines(for: .paused(step: 7, reason: "non-finite loss")) == ["paused at step 7: non-finite loss"])
        #expect(
            reporter.lines(
                for: .initialized(
                    WeightInitialization(source: "a.safetensors", taken: ["w"], reinitialized: ["fc.w"], frozen: [])))
                == ["initialised from a.safetensors: took 1 of 2 tensors; re-initialised: fc.w; frozen: none"])
        let result = FinalResult(step: 200, epoch: 2, seconds: 312, lastEvaluation: nil, checkpointPath: "runs/r/c")
        #expect(
            reporter.lines(for: .finished(result)) == [
                "finished: 200 steps, 2 epochs in 5m12s", "checkpoint: runs/r/c",
            ])
        func evaluation(step: Int) -> Evaluation {
            Evaluation(
                split: .validation, epoch: 2, step: step, loss: 0.25, accuracy: 0.875,
                confusion: ConfusionMatrix(classes: 2), samples: [], misclassified: [])
        }
        let measuredAtTheEnd = FinalResult(
            step: 200, epoch: 2, seconds: 60, lastEvaluation: evaluation(step: 200), checkpointPath: nil)
        #expect(
            reporter.lines(for: .finished(measuredAtTheEnd)) == [
                "finished: 200 steps, 2 epochs in 1m00s; validation accuracy  87.50%, loss 0.2500"
            ])
        // Stopped 30 steps after the last evaluation: the line says when the figure was measured.
        let stoppedLater = FinalResult(
            step: 230, epoch: 3, seconds: 70, lastEvaluation: evaluation(step: 200), checkpointPath: nil)
        #expect(
            reporter.lines(for: .finished(stoppedLater)) == [
                "finished: 230 steps, 3 epochs in 1m10s; validation accuracy  87.50%, loss 0.2500 "
                    + "(measured at step 200, epoch 2)"
            ])
    }

    @Test func confusionMatrixHasARowPerTrueClass() {
        let lines = HeadlessReporter.confusionLines(
            ConfusionMatrix(counts: [[12, 1], [0, 7]]), classNames: ["cat", "dog"])
        #expect(
            lines == [
                "true \\ predicted    0    1",
                "0 cat              12    1",
                "1 dog               0    7",
            ])
    }

    @Test func durationsReadNaturally() {
        #expect(HeadlessReporter.duration(42.14) == "42.1s")
        #expect(HeadlessReporter.duration(312) == "5m12s")
        #expect(HeadlessReporter.duration(7380) == "2h03m")
        #expect(HeadlessReporter.duration(.infinity) == "?")
    }
}
