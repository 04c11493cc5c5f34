import ConvProtocol
import ConvTraining
import Foundation
import Testing

@Suite struct TrainingChannelTests {
    static func step(_ n: Int) -> TrainingEvent {
        .step(
            StepMetrics(
                epoch: 1, step: n, stepInEpoch: n, stepsPerEpoch: 1000, smoothedLoss: 1,
                smoothedAccuracy: 0.5, learningRate: 0.1, imagesPerSecond: 100, elapsed: 1))
    }

    static func stepNumber(_ event: TrainingEvent) -> Int? {
        if case .step(let metrics) = event { return metrics.step }
        return nil
    }

    @Test func consecutiveStepsCoalesceToTheLatestButOtherEventsAreKept() {
        let channel = TrainingChannel()
        channel.send(Self.step(1))
        channel.send(Self.step(2))
        channel.send(.paused(step: 2, reason: nil))
        channel.send(Self.step(3))
        channel.send(.warning("w"))
        channel.send(Self.step(4))
        channel.send(Self.step(5))
        let events = channel.events()
        #expect(events.count == 5)
        #expect(events.map(Self.stepNumber) == [2, nil, 3, nil, 5])
        #expect(events[1] == .paused(step: 2, reason: nil))
        #expect(events[3] == .warning("w"))
        #expect(channel.coalescedStepCount == 2)
        #expect(channel.events().isEmpty)
    }

    @Test func aFastWorkerIsNeverHeldUpAndNoNonStepEventIsLost() async {
        let channel = TrainingChannel()
        let steps = 200_000
        let worker = Thread {
            for n in 1...steps {
                channel.send(Self.step(n))
                if n % 1000 == 0 { channel.send(.checkpointSaved(path: "p\(n)", step: n)) }
            }
            channel.send(
                .finished(
                    FinalResult(
                        step: steps, epoch: 1, seconds: 0, lastEvaluation: nil,
                        checkpointPath: nil)))
        }
        worker.start()
        var saves: [Int] = []
        var lastStep = 0
        var finished = false
        var increasing = true
        while !finished {
            for event in channel.events(waitingAtMost: 1) {
                switch event {
                case .checkpointSaved(_, let step): saves.append(step)
                case .step(let metrics):
                    increasing = increasing && metrics.step > lastStep
                    lastStep = metrics.step
                case .finished: finished = true
                default: break
                }
            }
            // A slow viewer: the worker must keep going and steps must coalesce.
            usleep(2000)
        }
        #expect(saves == Array(stride(from: 1000, through: steps, by: 1000)))
        #expect(increasing)
        #expect(lastStep == steps)
        #expect(channel.coalescedStepCount > 0)
        #expect(channel.isDrained)
    }

    @Test func aWaitingViewerWakesWhenAnEventArrives() {
        let channel = TrainingChannel()
        let sender = Thread {
            usleep(50_000)
            channel.send(.warning("late"))
        }
        let start = Date()
        sender.start()
        let events = channel.events(waitingAtMost: 10)
        #expect(events == [.warning("late")])
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func waitingTimesOutWithNoEvents() {
        let channel = TrainingChannel()
        let start = Date()
        #expect(channel.events(waitingAtMost: 0.05).isEmpty)
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.04)
    }

    @Test func anEndedRunDoesNotMakeTheViewerWait() {
        let channel = TrainingChannel()
        channel.send(.failed("boom"))
        #expect(channel.events(waitingAtMost: 10) == [.failed("boom")])
        #expect(channel.isDrained)
        let start = Date()
        #expect(channel.events(waitingAtMost: 10).isEmpty)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func commandsArriveInOrderAndASleepingWorkerWakesForOne() {
        let channel = TrainingChannel()
        #expect(channel.nextCommand() == nil)
        let received = ReceivedCommands()
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            received.append(channel.waitForCommand())
            received.append(channel.waitForCommand())
            done.signal()
        }
        worker.start()
        usleep(20_000)
        channel.send(.setLearningRate(0.5))
        channel.send(.resume)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(received.all == [.setLearningRate(0.5), .resume])
        channel.send(.stop)
        #expect(channel.nextCommand() == .stop)
        #expect(channel.nextCommand() == nil)
    }
}

/// Commands a test worker thread received, read back by the test.
final class ReceivedCommands: @unchecked Sendable {
    // @unchecked: `commands` is only touched while `lock` is held.
    private let lock = NSLock()
    private var commands: [TrainingCommand] = []

    func append(_ command: TrainingCommand) {
        lock.withLock { commands.append(command) }
    }

    var all: [TrainingCommand] { lock.withLock { commands } }
}
