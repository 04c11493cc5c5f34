import ConvEngine
import Foundation
import Testing

@Suite struct LearningRateScheduleTests {
    @Test func constantAndStepDecay() {
        #expect(LearningRateSchedule(base: 0.1, totalSteps: 100).learningRate(at: 57) == 0.1)
        let step = LearningRateSchedule(base: 0.1, shape: .stepDecay(every: 10, gamma: 0.5), totalSteps: 100)
        #expect(step.learningRate(at: 9) == 0.1)
        #expect(abs(step.learningRate(at: 10) - 0.05) < 1e-15)
        #expect(abs(step.learningRate(at: 35) - 0.0125) < 1e-15)
    }

    @Test func cosineGoesFromBaseToMinimum() {
        let schedule = LearningRateSchedule(base: 1, shape: .cosine(minimum: 0.1), totalSteps: 10)
        #expect(schedule.learningRate(at: 0) == 1)
        #expect(abs(schedule.learningRate(at: 5) - 0.55) < 1e-12)
        #expect(abs(schedule.learningRate(at: 10) - 0.1) < 1e-12)
    }

    @Test func oneCycleMatchesPyTorchOneCycleLR() {
        // torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.4, total_steps=20) get_last_lr() per step.
        let expected = [
            0.016, 0.05266874, 0.14866874, 0.26733126, 0.36333126, 0.4, 0.3949856, 0.38019385, 0.35636647,
            0.32469826, 0.2867772, 0.24450481, 0.2000008, 0.15549679, 0.1132244, 0.07530334, 0.04363513,
            0.01980775, 0.005016, 1.6e-06,
        ]
        let schedule = LearningRateSchedule.oneCycle(base: 0.4, totalSteps: 20)
        let actual = (0..<20).map { schedule.learningRate(at: $0) }
        #expect(zip(actual, expected).allSatisfy { abs($0 - $1) < 1e-7 }, "\(actual)")
    }

    @Test func warmupScalesAnyShapeLinearly() {
        let schedule = LearningRateSchedule(base: 0.2, shape: .cosine(minimum: 0), totalSteps: 100, warmupSteps: 4)
        let plain = LearningRateSchedule(base: 0.2, shape: .cosine(minimum: 0), totalSteps: 100)
        #expect(abs(schedule.learningRate(at: 0) - plain.learningRate(at: 0) / 4) < 1e-15)
        #expect(abs(schedule.learningRate(at: 2) - plain.learningRate(at: 2) * 3 / 4) < 1e-15)
        #expect(schedule.learningRate(at: 4) == plain.learningRate(at: 4))
    }
}
