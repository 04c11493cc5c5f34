import ConvProtocol
import ConvTUI
import Testing

@Suite struct RunModelTests {
    private func model(_ events: [TrainingEvent]) -> RunModel {
        var m = RunModel()
        for e in events { m.apply(e) }
        return m
    }

    @Test func stepsFeedLossSeriesAndStatus() {
        let m = model(SampleRun.events())
        #expect(m.state == .running)
        #expect(m.latestStep?.step == 200)
        #expect(m.trainLoss.points.count == 200)
        #expect(m.learningRate == 0.005)
        #expect(m.progress == 1)
        // The session already smooths the loss: the chart plots its values as they came.
        let steps = SampleRun.events().compactMap { event -> StepMetrics? in
            if case .step(let metrics) = event { metrics } else { nil }
        }
        #expect(m.trainLoss.points.map(\.x) == steps.map { Double($0.step) })
        #expect(m.trainLoss.points.map(\.y) == steps.map { Double($0.smoothedLoss) })
    }

    @Test func evaluationsGiveAccuracyPerEpochAndTheChangePerClass() {
        var better = SampleRun.confusion()
        better.counts[6] = [10, 0, 0, 0, 0, 0, 90, 0, 0, 0]
        let m = model(SampleRun.events() + [.evaluation(SampleRun.evaluation(epoch: 3, step: 300, confusion: better))])
        #expect(m.evaluationLoss[.test]?.points.map(\.x) == [100, 200, 300])
        #expect(m.evaluationAccuracy[.test]?.points.map(\.x) == [1, 2, 3])
        #expect(m.trainAccuracy.points.map(\.x) == [1, 2])
        #expect(m.previousClassAccuracy?[6] == 0.7)
        #expect(m.evaluation?.perClassAccuracy[6] == 0.9)
    }

    @Test func theSameEvaluationAgainReplacesTheLastOneWithoutANewPoint() {
        var journalled = SampleRun.evaluation(epoch: 2, step: 200)
        journalled.samples = []
        journalled.misclassified = []
        let fromJournal = SampleRun.events().dropLast() + [.evaluation(journalled)]
        let recomputed = SampleRun.evaluation(epoch: 2, step: 200)
        let m = model(Array(fromJournal) + [.evaluation(recomputed)])
        #expect(m.evaluationAccuracy[.test]?.points.map(\.x) == [1, 2])
        #expect(m.evaluation == recomputed && m.evaluation?.misclassified.count == 5)
        #expect(m.previousClassAccuracy == SampleRun.evaluation(epoch: 1, step: 100).perClassAccuracy)
        let later = model(Array(fromJournal) + [.evaluation(SampleRun.evaluation(epoch: 2, step: 250))])
        #expect(later.evaluationAccuracy[.test]?.points.map(\.x) == [1, 2, 2.5])
    }

    @Test func validationDoesNotReplaceTheTestEvaluation() {
        var validation = SampleRun.evaluation(epoch: 2, step: 200)
        validation.split = .validation
        validation.loss = 9
        let m = model(SampleRun.events() + [.evaluation(validation)])
        #expect(m.evaluation?.split == .test)
        #expect(m.evaluationLoss[.validation]?.points.map(\.y) == [9])
    }

    @Test func pausesAndLearningRateChangesBecomeMarkers() {
        let m = model(SampleRun.events() + [.paused(step: 200, reason: "loss is NaN"), .resumed(step: 200)])
        #expect(
            m.markers == [RunModel.Marker(step: 120, kind: .learningRate), RunModel.Marker(step: 200, kind: .pause)])
        #expect(m.state == .running && m.pauseReason == nil)
    }

    @Test func markersStayBounded() {
        let events = (0..<1000).map { TrainingEvent.learningRateChanged(old: 1, new: 2, step: $0) }
        let m = model(events)
        #expect(m.markers.count == RunModel.markerCapacity)
        #expect(m.markers.last?.step == 999)
    }

    @Test func timeRemainingFollowsThePaceSoFar() {
        let m = model(Array(SampleRun.events().prefix(51)))
        #expect(m.latestStep?.step == 50)
        // 50 steps in 0.5 s, 150 to go.
        #expect(abs((m.secondsRemaining ?? 0) - 1.5) < 1e-9)
    }

    @Test func endStates() {
        let result = FinalResult(
            step: 200, epoch: 2, seconds: 2, lastEvaluation: nil, checkpointPath: "runs/demo/final.ckpt")
        let finished = model(SampleRun.events() + [.finished(result)])
        #expect(finished.state == .finished && finished.lastCheckpoint == "runs/demo/final.ckpt")
        let failed = model([.started(SampleRun.summary()), .failed("out of memory")])
        #expect(failed.state == .failed && failed.failure == "out of memory")
    }
}
