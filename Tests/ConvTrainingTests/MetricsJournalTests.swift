import ConvProtocol
import ConvTraining
import Foundation
import Testing

@Suite struct MetricsJournalTests {
    static func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("convtop-journal-\(UUID().uuidString).jsonl")
    }

    static let summary = RunSummary(
        runName: "r", runDirectory: "/tmp/r", datasetName: "fashion-mnist", modelName: "lenet",
        parameterCount: 44426, classNames: ["a", "b"], imageShape: ImageShape(channels: 1, height: 28, width: 28),
        trainCount: 60000, testCount: 10000, validationCount: 0, epochs: 2, stepsPerEpoch: 1875, batchSize: 32,
        threads: 2, optimizer: "sgd", learningRate: 0.01, testFlips: true, kernel: "avx512", startStep: 0)

    static let evaluation = Evaluation(
        split: .test, epoch: 1, step: 10, loss: 0.5, accuracy: 0.75,
        confusion: ConfusionMatrix(counts: [[2, 1], [0, 1]]),
        samples: [
            Prediction(
                index: 3, trueLabel: 0, predictedLabel: 0,
                top: [ClassProbability(label: 0, probability: 0.9)], loss: 0.1,
                image: SampleImage(shape: ImageShape(channels: 1, height: 1, width: 2), pixels: [1, 2]))
        ],
        misclassified: [])

    static func step(_ n: Int, ofEpoch total: Int = 100) -> TrainingEvent {
        .step(
            StepMetrics(
                epoch: 1, step: n, stepInEpoch: n, stepsPerEpoch: total, smoothedLoss: 0.25,
                smoothedAccuracy: 0.5, learningRate: 0.01, imagesPerSecond: 1234.5, elapsed: 2))
    }

    @Test func everyEventKindRoundTripsWithoutImages() throws {
        let url = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let events: [TrainingEvent] = [
            .started(Self.summary),
            Self.step(10, ofEpoch: 10),
            .epochCompleted(EpochSummary(epoch: 1, step: 10, loss: 0.3, accuracy: 0.8, seconds: 12.5)),
            .evaluation(Self.evaluation),
            .paused(step: 10, reason: "non-finite loss"),
            .paused(step: 10, reason: nil),
            .resumed(step: 10),
            .learningRateChanged(old: 0.01, new: 0.005, step: 10),
            .checkpointSaved(path: "/tmp/r/checkpoint.safetensors", step: 10),
            .warning("careful \"quoted\"\nnewline"),
            .finished(
                FinalResult(
                    step: 10, epoch: 1, seconds: 20, lastEvaluation: Self.evaluation,
                    checkpointPath: "/tmp/r/checkpoint.safetensors")),
            .failed("disk full"),
        ]
        let journal = try MetricsJournal(url: url, stepInterval: 0)
        for (i, event) in events.enumerated() {
            journal.record(event, at: Date(timeIntervalSince1970: Double(1000 + i)))
        }
        let records = try MetricsJournal.read(url)
        var expected = events
        expected[3] = .evaluation(Self.evaluation.withoutImagesForTest)
        expected[10] = .finished(
            FinalResult(
                step: 10, epoch: 1, seconds: 20,
                lastEvaluation: Self.evaluation.withoutImagesForTest,
                checkpointPath: "/tmp/r/checkpoint.safetensors"))
        #expect(records.map(\.event) == expected)
        #expect(records.map(\.time) == (0..<events.count).map { Double(1000 + $0) })
        // Warnings and failures carry the step of the event before them.
        #expect(records.map(\.step) == [0] + Array(repeating: 10, count: events.count - 1))
        #expect(
            records.map(\.event.journalType) == [
                "started", "step", "epoch", "evaluation", "paused", "paused", "resumed", "lr_changed",
                "checkpoint_saved", "warning", "finished", "failed",
            ])
    }

    /// Journals written before test flips existed have no `test_flips` in their started record.
    @Test func aStartedRecordWithoutTestFlipsReadsAsOff() throws {
        let line = MetricsRecord(time: 1, step: 0, event: .started(Self.summary)).jsonLine()
        var fields = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["test_flips"] as? Bool == true)
        fields["test_flips"] = nil
        let oldLine = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        let old = try MetricsRecord(jsonLine: Substring(oldLine))
        var expected = Self.summary
        expected.testFlips = false
        #expect(old.event == .started(expected))
    }

    @Test func linesAreFlatJSONWithTypeStepAndAccuracyAsAFraction() throws {
        let record = MetricsRecord(time: 5, step: 10, event: .evaluation(Self.evaluation))
        let object = try JSONSerialization.jsonObject(with: Data(record.jsonLine().utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "evaluation")
        #expect(object?["step"] as? Int == 10)
        #expect(object?["split"] as? String == "test")
        #expect(object?["accuracy"] as? Double == 0.75)
        #expect((object?["per_class_accuracy"] as? [Double])?.map { Float($0) } == [Float(2) / 3, 1])
        #expect(object?["confusion"] as? [[Int]] == [[2, 1], [0, 1]])
        #expect(object?["samples"] == nil)
        #expect(!record.jsonLine().contains("\n"))
    }

    @Test func stepLinesAreThinnedButTheLastStepOfAnEpochIsKept() throws {
        let url = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let journal = try MetricsJournal(url: url, stepInterval: 1)
        var written: [Int] = []
        for n in 1...100 {
            // Ten steps per simulated second.
            if journal.record(Self.step(n), at: Date(timeIntervalSince1970: Double(n) / 10)) { written.append(n) }
        }
        #expect(written == [1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100])
        #expect(try MetricsJournal.read(url).count == written.count)
    }

    @Test func aTornLastLineIsSkippedAndClosedBeforeAppending() throws {
        let url = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let journal = try MetricsJournal(url: url, stepInterval: 0)
            journal.record(.resumed(step: 1))
            journal.record(.paused(step: 2, reason: nil))
        }
        let whole = try Data(contentsOf: url)
        // Simulate a kill in the middle of writing the second line.
        try whole.prefix(whole.count - 7).write(to: url)
        #expect(try MetricsJournal.read(url).map(\.event) == [.resumed(step: 1)])
        do {
            let journal = try MetricsJournal(url: url, stepInterval: 0)
            journal.record(.resumed(step: 3))
        }
        #expect(try MetricsJournal.read(url).map(\.event) == [.resumed(step: 1), .resumed(step: 3)])
    }

    @Test func aMissingFileIsAClearError() {
        let url = URL(fileURLWithPath: "/nonexistent/metrics.jsonl")
        #expect(throws: MetricsJournalError.self) { try MetricsJournal.read(url) }
    }
}

extension Evaluation {
    var withoutImagesForTest: Evaluation {
        Evaluation(
            split: split, epoch: epoch, step: step, loss: loss, accuracy: accuracy, confusion: confusion,
            samples: [], misclassified: [])
    }
}
