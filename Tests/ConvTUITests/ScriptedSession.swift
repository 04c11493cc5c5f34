import ConvProtocol
import ConvTUI
import Foundation

/// A stand-in session: replays events, records commands, answers them as a session would (paused,
/// resumed, learning rate changed, checkpoint saved, image marked) and ends the run when told to stop.
final class ScriptedSession {
    var pending: [TrainingEvent]
    var received: [TrainingCommand] = []
    private var learningRate = 0.005
    private let step = 200

    init(events: [TrainingEvent]) { pending = events }

    var link: SessionLink {
        SessionLink(
            nextEvents: { [self] in
                defer { pending = [] }
                return pending
            },
            send: { [self] command in
                received.append(command)
                switch command {
                case .pause: pending.append(.paused(step: step, reason: nil))
                case .resume: pending.append(.resumed(step: step))
                case .scaleLearningRate(let factor): changeLearningRate(to: learningRate * factor)
                case .setLearningRate(let value): changeLearningRate(to: value)
                case .save: pending.append(.checkpointSaved(path: "runs/demo/step-\(step).ckpt", step: step))
                case .evaluate: pending.append(.evaluation(SampleRun.evaluation(epoch: 2, step: step)))
                case .explain(let request): pending.append(.saliency(SampleRun.saliency(request, step: step)))
                case .stop:
                    pending.append(.checkpointSaved(path: "runs/demo/final.ckpt", step: step))
                    pending.append(
                        .finished(
                            FinalResult(
                                step: step, epoch: 2, seconds: 2, lastEvaluation: nil,
                                checkpointPath: "runs/demo/final.ckpt")))
                case .markImage(var mark):
                    mark.file = "test/\(mark.index).png"
                    pending.append(.imageMarked(mark))
                case .unmarkImage(let split, let index): pending.append(.imageUnmarked(split: split, index: index))
                case .findLearningRate(let steps):
                    pending.append(.paused(step: step, reason: "learning-rate range test"))
                    pending += Self.rangeTest(at: step, steps: steps ?? 40)
                case .undo:
                    pending.append(
                        .undone(
                            Rewind(
                                step: step - 80, fromStep: step, intervention: "learning rate 0.01 → 0.005",
                                learningRate: 0.01, remaining: 0)))
                }
            })
    }

    /// A whole range test: the loss falls from 2.3 to 0.6 between rates 1e-3 and 1e-1, then rises
    /// past four times its minimum; the suggestion and steepest descent are where such a curve has them.
    static func rangeTest(at step: Int, steps: Int) -> [TrainingEvent] {
        let sweep = LearningRateSweep(step: step, steps: steps, startRate: 1e-5, endRate: 10)
        var events: [TrainingEvent] = [.learningRateSweepStarted(sweep)]
        for index in 0..<steps * 3 / 4 {
            let exponent = -5 + 6 * Double(index) / Double(steps - 1)
            let loss = exponent < -3 ? 2.3 : exponent < -1 ? 2.3 - 0.85 * (exponent + 3) : 0.6 + 3 * (exponent + 1)
            events.append(
                .learningRateProbed(
                    LearningRateProbe(
                        step: step, index: index, learningRate: pow(10, exponent), loss: Float(loss),
                        smoothedLoss: Float(loss))))
        }
        events.append(
            .learningRateFound(
                LearningRateFinding(
                    step: step, probes: steps * 3 / 4, diverged: true, suggestion: 0.01, steepest: 0.003)))
        return events
    }

    private func changeLearningRate(to value: Double) {
        pending.append(.learningRateChanged(old: learningRate, new: value, step: step))
        learningRate = value
    }
}
