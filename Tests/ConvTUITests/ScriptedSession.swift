import ConvProtocol
import ConvTUI

/// A stand-in session: replays events, records commands, answers them as a session would (paused,
/// resumed, learning rate changed, checkpoint saved) and ends the run when told to stop.
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
                }
            })
    }

    private func changeLearningRate(to value: Double) {
        pending.append(.learningRateChanged(old: learningRate, new: value, step: step))
        learningRate = value
    }
}
