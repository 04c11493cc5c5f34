import ConvProtocol
import Foundation
import Testing

@testable import ConvTraining

/// A late viewer's history stays within a bound however long the run, and still covers it all.
@Suite struct RunHistoryTests {
    /// A long run, an event of each kind a second: a step, an epoch, an evaluation and a
    /// layer-health sample per step, a learning-rate change every 100 steps, and a range test of
    /// 50 points every 1,000.
    static func longRun(steps: Int) -> RunHistory {
        var history = RunHistory(stepInterval: 0.5)
        var time = 0.0
        func add(_ event: TrainingEvent, step: Int) {
            time += 1
            history.append(MetricsRecord(time: time, step: step, event: event, includingImages: true))
        }
        for n in 1...steps {
            add(step(n, of: 1), step: n)
            add(.epochCompleted(EpochSummary(epoch: n, step: n, loss: 1, accuracy: 0.5, seconds: 1)), step: n)
            add(.evaluation(evaluation(step: n, accuracy: Float(n) / Float(steps))), step: n)
            add(
                .layerHealth(
                    LayerHealth(
                        step: n,
                        layers: [LayerStatistics(name: "conv1", weightNorm: 1, gradientNorm: 1, updateRatio: 1)],
                        activations: [])), step: n)
            if n % 100 == 0 { add(.learningRateChanged(old: 0.1, new: 0.1, step: n), step: n) }
            if n % 1000 == 0 {
                add(
                    .learningRateSweepStarted(LearningRateSweep(step: n, steps: 50, startRate: 1e-7, endRate: 10)),
                    step: n)
                for i in 0..<50 {
                    let probe = LearningRateProbe(step: n, index: i, learningRate: 0.1, loss: 1, smoothedLoss: 1)
                    add(.learningRateProbed(probe), step: n)
                }
            }
        }
        return history
    }

    @Test func eachThinnedKindStaysWithinItsLimitAndStillSpansTheRun() {
        let history = Self.longRun(steps: 5000)
        let byKind = Dictionary(grouping: history.records, by: \.event.journalType)
        for (kind, limit) in RunHistory.limits {
            let steps = (byKind[kind] ?? []).map(\.step)
            #expect(steps.count > limit / 2 && steps.count <= limit, "\(kind): \(steps.count)")
            // From the start to the latest, evenly: the gaps grow by halving, never past a few times the mean.
            #expect(steps.first! <= 16 && steps.last == 5000, "\(kind): \(steps.first!)...\(steps.last!)")
            let gaps = zip(steps.dropFirst(), steps).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 > 0 } && gaps.max()! <= 4 * 5000 / steps.count, "\(kind)")
        }
        // Interventions are all kept, and the range test's points only for the latest test.
        #expect(byKind["lr_changed"]?.count == 50)
        #expect(byKind["lr_find_started"]?.count == 5)
        #expect(byKind["lr_find_point"]?.map(\.step) == Array(repeating: 5000, count: 50))
        // The newest evaluations stay, and only the last has its images.
        let evaluations = (byKind["evaluation"] ?? []).compactMap {
            if case .evaluation(let e) = $0.event { e } else { nil }
        }
        #expect(evaluations.suffix(RunHistory.keptNewest).map(\.step) == [4997, 4998, 4999, 5000])
        #expect(evaluations.last == evaluation(step: 5000, accuracy: 1))
        #expect(evaluations.dropLast().allSatisfy { $0.samples.isEmpty && $0.misclassified.isEmpty })
    }

    @Test func aRunTenTimesLongerKeepsNoMoreThanTheLimitsAndItsInterventions() {
        let history = Self.longRun(steps: 30000)
        // 300 learning-rate changes, 30 range tests' starts and the last test's 50 points.
        let limits: Int = RunHistory.limits.values.reduce(0, +)
        #expect(history.records.count <= limits + 300 + 30 + 50)
    }
}
