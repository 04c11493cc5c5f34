import ConvData
import ConvEngine
import ConvProtocol
import Foundation
import Testing

@testable import ConvTraining

@Suite struct EarlyStoppingTests {
    static func evaluation(_ split: Split, loss: Float, accuracy: Float = 0.5, epoch: Int) -> Evaluation {
        Evaluation(
            split: split, epoch: epoch, step: epoch * 30, loss: loss, accuracy: accuracy,
            confusion: ConfusionMatrix(classes: 2), samples: [], misclassified: [])
    }

    /// Keras's rule on a scripted sequence: 0.79 beats 0.8 by more than the minimum change of
    /// 0.005 and resets the count; 0.795 does not, and three such epochs stop the run.
    @Test func stopsAfterPatienceEpochsWithoutAnImprovementLargerThanTheMinimumChange() {
        var watcher = EarlyStopping(figure: .validationLoss, patience: 3, minimumChange: 0.005)
        let losses: [Float] = [1.0, 0.8, 0.85, 0.79, 0.795, 0.81, 0.9]
        var outcomes: [String] = []
        for (i, loss) in losses.enumerated() {
            switch watcher.observe(Self.evaluation(.validation, loss: loss, epoch: i + 1), atEpochEnd: true) {
            case .improved(let best): outcomes.append("best \(best.epoch)")
            case .unchanged: outcomes.append("-")
            case .stop(let reason):
                outcomes.append("stop")
                #expect(reason.contains("val_loss has not improved on its best, 0.79 at epoch 4"), "\(reason)")
                #expect(reason.contains("for 3 epochs (--patience 3)"), "\(reason)")
            case nil: outcomes.append("nil")
            }
        }
        #expect(outcomes == ["best 1", "best 2", "-", "best 4", "-", "-", "stop"])
        #expect(
            watcher.best == BestEvaluation(figure: .validationLoss, value: Double(Float(0.79)), epoch: 4, step: 120))
    }

    /// With `--eval-every 3` the patience counts evaluations, and the reason says so.
    @Test func withEvaluationsEveryFewEpochsTheReasonCountsEvaluations() {
        var watcher = EarlyStopping(figure: .validationLoss, patience: 2, minimumChange: 0, evaluationInterval: 3)
        var reasons: [String] = []
        for (epoch, loss) in [(3, Float(0.5)), (6, 0.6), (9, 0.7)] {
            if case .stop(let reason) = watcher.observe(
                Self.evaluation(.validation, loss: loss, epoch: epoch), atEpochEnd: true)
            {
                reasons.append(reason)
            }
        }
        #expect(
            reasons == [
                "val_loss has not improved on its best, 0.5 at epoch 3 (by more than 0) for 2 evaluations, "
                    + "one every 3 epochs (--patience 2)"
            ])
    }

    @Test func onlyTheMonitoredSplitCountsAndOnlyEpochEndsBringTheStopNearer() {
        var watcher = EarlyStopping(figure: .testAccuracy, patience: 1, minimumChange: 0)
        #expect(
            watcher.observe(Self.evaluation(.validation, loss: 1, accuracy: 0.9, epoch: 1), atEpochEnd: true) == nil)
        #expect(
            watcher.observe(Self.evaluation(.test, loss: 1, accuracy: 0.6, epoch: 1), atEpochEnd: true)
                == .improved(BestEvaluation(figure: .testAccuracy, value: Double(Float(0.6)), epoch: 1, step: 30)))
        // An evaluation asked for mid-epoch may set a best, but never counts towards the patience.
        #expect(
            watcher.observe(Self.evaluation(.test, loss: 1, accuracy: 0.5, epoch: 2), atEpochEnd: false) == .unchanged)
        #expect(watcher.epochsWithoutImprovement == 0)
        if case .stop = watcher.observe(Self.evaluation(.test, loss: 1, accuracy: 0.6, epoch: 2), atEpochEnd: true) {
        } else {
            Issue.record("an equal accuracy is no improvement, and patience 1 stops")
        }
    }

    @Test func aNonFiniteLossNeverImprovesAndWithoutPatienceNothingStops() {
        var watcher = EarlyStopping(figure: .testLoss, patience: nil, minimumChange: 0)
        #expect(watcher.observe(Self.evaluation(.test, loss: .nan, epoch: 1), atEpochEnd: true) == .unchanged)
        #expect(watcher.best == nil)
        for epoch in 2...20 {
            #expect(watcher.observe(Self.evaluation(.test, loss: 3, epoch: epoch), atEpochEnd: true) != nil)
        }
        #expect(watcher.best?.epoch == 2 && watcher.epochsWithoutImprovement == 18)
    }

    @Test func aResumedWatcherKeepsItsBestAndCountOnlyForTheSameFigure() {
        var watcher = EarlyStopping(figure: .validationLoss, patience: 5, minimumChange: 0)
        _ = watcher.observe(Self.evaluation(.validation, loss: 0.5, epoch: 1), atEpochEnd: true)
        _ = watcher.observe(Self.evaluation(.validation, loss: 0.7, epoch: 2), atEpochEnd: true)
        let state = try! #require(watcher.state)
        var resumed = EarlyStopping(figure: .validationLoss, patience: 5, minimumChange: 0)
        resumed.restore(state)
        #expect(resumed == watcher)
        // A worse model after the resume is no new best, so best.safetensors keeps the better one.
        #expect(resumed.observe(Self.evaluation(.validation, loss: 0.6, epoch: 3), atEpochEnd: true) == .unchanged)
        var other = EarlyStopping(figure: .testLoss, patience: 5, minimumChange: 0)
        other.restore(state)
        #expect(other.best == nil)
    }

    @Test func theDefaultFigureIsTheValidationLossElseTheTestLoss() throws {
        var configuration = TrainingSessionTests.configuration()
        #expect(try EarlyStopping.forRun(configuration, dataset: StripesDataset.dataset()) == nil)
        configuration.patience = 4
        #expect(try EarlyStopping.forRun(configuration, dataset: StripesDataset.dataset())?.figure == .testLoss)
        let held = try StripesDataset.dataset().holdingOutValidation(30)
        #expect(try EarlyStopping.forRun(configuration, dataset: held)?.figure == .validationLoss)
        configuration.monitor = .validationAccuracy
        configuration.minDelta = 0.01
        let watcher = try EarlyStopping.forRun(configuration, dataset: held)
        #expect(watcher?.figure == .validationAccuracy && watcher?.minimumChange == 0.01 && watcher?.patience == 4)
        let error = #expect(throws: TrainingError.self) {
            try EarlyStopping.forRun(configuration, dataset: StripesDataset.dataset())
        }
        #expect(
            error?.description.contains("--monitor val_accuracy: /generated/stripes has no validation images") == true)
    }

    /// A real run whose loss cannot improve by the minimum change after its first epoch: the best
    /// model is the first epoch's and stays so, the run stops after the patience, and a resumed run
    /// remembers both (it stops after one more epoch and leaves best.safetensors alone).
    @Test func aRunKeepsItsFirstBestStopsEarlyAndAResumeRemembers() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = TrainingSessionTests.configuration(epochs: 20)
        configuration.patience = 2
        configuration.monitor = .testLoss
        configuration.minDelta = 10
        let session = TrainingSessionTests.session(configuration, folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        let result = log.waitForEnd()
        session.wait()
        let run = RunFolder(url: folder)
        let bests = log.events.compactMap { if case .bestImproved(let best) = $0 { best } else { nil } }
        #expect(bests.map(\.epoch) == [1] && bests.first?.step == 30)
        #expect(result?.epoch == 3 && result?.step == 90)
        let reason = log.events.compactMap { if case .earlyStopped(let reason, _) = $0 { reason } else { nil } }
        #expect(reason.count == 1 && reason.first?.contains("for 2 epochs (--patience 2)") == true, "\(reason)")
        #expect(try TrainingCheckpoint.read(from: run.bestCheckpointFile.path).step == 30)
        let journal = try MetricsJournal.read(run.metricsFile).map(\.event.journalType)
        #expect(journal.contains("best") && journal.contains("early_stop"))

        // --resume RUN takes the checkpoint, never the best model; --best takes the best model.
        let (latest, file) = try TrainingCheckpoint.load(fileOrRunFolder: folder.path)
        #expect(file == run.checkpointFile.path && latest.step == 90)
        #expect(
            try TrainingCheckpoint.load(fileOrRunFolder: folder.path, best: true).file == run.bestCheckpointFile.path)
        #expect(latest.earlyStopping?.epochsWithoutImprovement == 2 && latest.earlyStopping?.epoch == 1)

        let bestBytes = try Data(contentsOf: run.bestCheckpointFile)
        let resumed = TrainingSessionTests.session(latest.configuration, folder: folder, resume: latest)
        var resumedLog = EventLog(channel: resumed.channel)
        resumed.start()
        let second = resumedLog.waitForEnd()
        resumed.wait()
        #expect(second?.step == 120)
        #expect(!resumedLog.events.contains { if case .bestImproved = $0 { true } else { false } })
        #expect(try Data(contentsOf: run.bestCheckpointFile) == bestBytes)
    }

    @Test func bestNeedsARunFolder() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors").path
        try cifarCheckpoint(TrainingSessionTests.configuration()).write(to: checkpoint)
        let onFile = #expect(throws: CheckpointError.self) {
            try TrainingCheckpoint.load(fileOrRunFolder: checkpoint, best: true)
        }
        #expect(onFile?.description.contains("--best takes a run folder, not a file") == true)
        let noBest = #expect(throws: CheckpointError.self) {
            try TrainingCheckpoint.load(fileOrRunFolder: folder.path, best: true)
        }
        #expect(noBest?.description.contains("no best.safetensors") == true)
    }
}
