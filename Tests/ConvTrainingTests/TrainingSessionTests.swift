import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Synchronization
import Testing

/// A small learnable dataset: class k is a bright horizontal band at rows 4k..4k+3 plus noise.
enum StripesDataset {
    static let dimensions = ImageDimensions(channels: 1, height: 16, width: 16)

    static func images(count: Int, seed: UInt64) -> ImageSet {
        var generator = RandomGenerator(seed: seed)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for i in 0..<count {
            let label = i % 3
            for row in 0..<16 {
                for _ in 0..<16 {
                    let band = row / 4 == label
                    let noise = Int(generator.next() % 96)
                    pixels.append(UInt8(band ? 150 + noise : noise))
                }
            }
            labels.append(Int32(label))
        }
        return ImageSet(dimensions: dimensions, pixels: pixels, labels: labels)
    }

    static func dataset(train: Int = 240, test: Int = 60) -> Dataset {
        Dataset(
            name: "stripes", folder: "/generated/stripes", format: .idx, classNames: ["top", "middle", "lower"],
            train: images(count: train, seed: 1), test: images(count: test, seed: 2), allowsHorizontalFlip: true)
    }
}

/// Reads a session's events until one matches, failing the test after a timeout.
struct EventLog {
    /// The events that arrived, waiting at most the given seconds for the first.
    private let collect: (Double) -> [TrainingEvent]
    var events: [TrainingEvent] = []
    /// Events collected after the one a `wait` returned, kept for the next `wait`.
    private var unread: [TrainingEvent] = []

    init(channel: TrainingChannel) { collect = channel.events(waitingAtMost:) }
    init(connection: RunConnection) { collect = connection.events(waitingAtMost:) }

    /// Collects events until `predicate` holds for one; returns it.
    @discardableResult
    mutating func wait(
        for description: String, timeout: Double = 60,
        _ predicate: (TrainingEvent) -> Bool
    ) -> TrainingEvent? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        repeat {
            unread += collect(0.2)
            while !unread.isEmpty {
                let event = unread.removeFirst()
                events.append(event)
                if predicate(event) { return event }
            }
        } while Date() < deadline
        Issue.record("timed out waiting for \(description); got \(events.map(\.journalType))")
        return nil
    }

    /// Collects events until the run ends.
    mutating func waitForEnd(timeout: Double = 60) -> FinalResult? {
        let end = wait(for: "the end of the run", timeout: timeout) {
            switch $0 {
            case .finished, .failed: true
            default: false
            }
        }
        if case .finished(let result) = end { return result }
        if case .failed(let message) = end { Issue.record("run failed: \(message)") }
        return nil
    }

    var steps: [StepMetrics] {
        events.compactMap { if case .step(let metrics) = $0 { metrics } else { nil } }
    }
}

extension TrainingChannel {
    /// Sends `command` from the worker's own thread the first time it reports step `step`, so the
    /// command lands there however fast the run is (a test reading events may see the end first).
    func send(_ command: TrainingCommand, afterStep step: Int) {
        final class Once: Sendable { let done = Atomic<Bool>(false) }
        let once = Once()
        observe { [self] event in
            guard case .step(let metrics) = event, metrics.step == step else { return }
            if !once.done.exchange(true, ordering: .relaxed) { send(command) }
        }
    }
}

func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("convtop-session-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// An untrained LeNet checkpoint for CIFAR-10's 3x32x32 images and ten classes.
func cifarCheckpoint(_ configuration: TrainingConfiguration) -> TrainingCheckpoint {
    let model = ModelPreset.lenet.build(input: (3, 32, 32), classes: 10, seed: 0, pool: ThreadPool(threads: 1))
    return TrainingCheckpoint(
        model: model, optimizer: SGD(parameters: model.namedParameters, learningRate: configuration.learningRate),
        configuration: configuration, datasetName: "cifar10", datasetFolder: nil,
        classNames: (0..<10).map { "class \($0)" },
        normalization: Normalization(mean: [0.5, 0.5, 0.5], standardDeviation: [0.5, 0.5, 0.5]), step: 0,
        position: BatchPosition(epoch: 0, batch: 0), learningRateScale: 1)
}

@Suite struct TrainingSessionTests {
    static func configuration(epochs: Int = 50, learningRate: Double = 0.01) -> TrainingConfiguration {
        TrainingConfiguration(
            model: .preset(.lenet), epochs: epochs, batchSize: 8, optimizer: .sgd, learningRate: learningRate,
            momentum: 0.9, augment: .none, normalize: "0.5,0.5", seed: 7, sampleCount: 10)
    }

    static func session(
        _ configuration: TrainingConfiguration, folder: URL? = nil, threads: Int = 2,
        resume: TrainingCheckpoint? = nil, untilEpoch: Int? = nil
    ) -> TrainingSession {
        TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: StripesDataset.dataset(),
                runFolder: folder.map(RunFolder.init), threads: threads, resume: resume,
                untilEpoch: untilEpoch))
    }

    @Test func pauseReallyStopsStepsAndResumeContinues() throws {
        let session = Self.session(Self.configuration())
        var log = EventLog(channel: session.channel)
        session.start()
        log.wait(for: "a few steps") { $0.step ?? 0 >= 5 }
        session.channel.send(.pause)
        guard case .paused(let pausedAt, nil)? = log.wait(for: "paused", { $0.journalType == "paused" }) else { return }
        Thread.sleep(forTimeInterval: 0.3)
        let whilePaused = session.channel.events()
        #expect(whilePaused.isEmpty, "events while paused: \(whilePaused.map(\.journalType))")
        #expect(log.steps.last?.step == pausedAt)

        session.channel.send(.resume)
        log.wait(for: "resumed") { $0 == .resumed(step: pausedAt) }
        log.wait(for: "steps after resuming") { $0.step ?? 0 > pausedAt + 3 }
        session.channel.send(.stop)
        let result = log.waitForEnd()
        session.wait()
        #expect((result?.step ?? 0) > pausedAt + 3)
        let steps = log.steps.map(\.step)
        #expect(steps == steps.sorted() && Set(steps).count == steps.count)
    }

    @Test func aNewLearningRateIsUsedFromTheNextStep() {
        let session = Self.session(Self.configuration())
        var log = EventLog(channel: session.channel)
        session.start()
        session.channel.send(.pause)
        guard case .paused(let step, _)? = log.wait(for: "paused", { $0.journalType == "paused" }) else { return }
        session.channel.send(.setLearningRate(0.0025))
        session.channel.send(.scaleLearningRate(2))
        session.channel.send(.resume)
        log.wait(for: "a step after resuming") { $0.journalType == "step" }
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
        let changes = log.events.compactMap {
            if case .learningRateChanged(let old, let new, let at) = $0 { [old, new, Double(at)] } else { nil }
        }
        let expected: [[Double]] = [[0.01, 0.0025, Double(step)], [0.0025, 0.005, Double(step)]]
        #expect(changes.count == 2)
        #expect(zip(changes.flatMap { $0 }, expected.flatMap { $0 }).allSatisfy { abs($0 - $1) < 1e-12 })
        // Step events may be coalesced, so any step after the change stands for the next one.
        let after = log.steps.filter { $0.step > step }
        #expect(!after.isEmpty)
        #expect(after.allSatisfy { abs($0.learningRate - 0.005) < 1e-12 })
        #expect(log.steps.filter { $0.step <= step }.allSatisfy { $0.learningRate == 0.01 })
    }

    @Test func stopSavesALoadableCheckpointAndTheJournalRecordsTheRun() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = Self.session(Self.configuration(), folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        log.wait(for: "a few steps") { $0.step ?? 0 >= 3 }
        session.channel.send(.stop)
        let result = log.waitForEnd()
        session.wait()
        let path = folder.appendingPathComponent("checkpoint.safetensors").path
        #expect(result?.checkpointPath == path)
        #expect(log.events.contains(.checkpointSaved(path: path, step: result?.step ?? -1)))
        let checkpoint = try TrainingCheckpoint.read(from: path)
        #expect(checkpoint.step == result?.step)
        #expect(checkpoint.isFinite)
        #expect(checkpoint.tensors["conv1.weight"]?.shape == [6, 1, 5, 5])
        #expect(checkpoint.tensors["optimizer.conv1.weight.momentum_buffer"] != nil)
        #expect(checkpoint.datasetFolder == StripesDataset.dataset().folder)

        let records = try MetricsJournal.read(folder.appendingPathComponent("metrics.jsonl"))
        #expect(records.first?.event.journalType == "started")
        #expect(records.last?.event.journalType == "finished")
        #expect(records.contains { $0.event.journalType == "checkpoint_saved" && $0.step == result?.step })
    }

    @Test func everyEpochIsEvaluatedWithFixedSamplesAndWorstMistakesFirst() {
        let session = Self.session(Self.configuration(epochs: 2, learningRate: 0.002))
        var log = EventLog(channel: session.channel)
        session.start()
        _ = log.waitForEnd()
        session.wait()
        let evaluations = log.events.compactMap { if case .evaluation(let e) = $0 { e } else { nil } }
        #expect(evaluations.map(\.epoch) == [1, 2])
        for evaluation in evaluations {
            #expect(evaluation.split == .test)
            #expect(evaluation.confusion.counts.flatMap { $0 }.reduce(0, +) == 60)
            #expect(evaluation.samples.map(\.index) == Evaluator(sampleCount: 10).sampleIndices(count: 60))
            #expect(evaluation.samples.allSatisfy { $0.image.pixels.count == 256 && $0.top.count == 3 })
            #expect(evaluation.misclassified.allSatisfy { !$0.isCorrect })
            #expect(evaluation.misclassified.map(\.loss) == evaluation.misclassified.map(\.loss).sorted(by: >))
            let wrong = evaluation.confusion.counts.indices.reduce(0) { total, t in
                total + evaluation.confusion.counts[t].reduce(0, +) - evaluation.confusion.counts[t][t]
            }
            #expect(evaluation.misclassified.count == wrong)
            let correct = 60 - wrong
            #expect(evaluation.accuracy == Float(correct) / 60)
        }
        let epochs = log.events.compactMap { if case .epochCompleted(let e) = $0 { e.epoch } else { nil } }
        #expect(epochs == [1, 2])
    }

    @Test(arguments: [(2, 5, [2, 4, 5]), (3, 3, [3]), (4, 3, [3])])
    func evalEveryEvaluatesThoseEpochsAndTheLast(every: Int, epochs: Int, evaluated: [Int]) {
        var configuration = Self.configuration(epochs: epochs, learningRate: 0.002)
        configuration.evaluateEvery = every
        let session = Self.session(configuration)
        var log = EventLog(channel: session.channel)
        session.start()
        let result = log.waitForEnd()
        session.wait()
        #expect(log.events.compactMap { if case .evaluation(let e) = $0 { e.epoch } else { nil } } == evaluated)
        #expect(result?.lastEvaluation?.epoch == epochs)
    }

    @Test func resumingFromACheckpointReproducesTheWeightsBitForBit() throws {
        var configuration = Self.configuration(epochs: 2, learningRate: 0.05)
        configuration.schedule = .onecycle
        configuration.augment = .standard
        configuration.weightDecay = 1e-3
        configuration.nesterov = true
        configuration.lookahead = true
        let straight = temporaryFolder(), first = temporaryFolder(), second = temporaryFolder()
        defer { for f in [straight, first, second] { try? FileManager.default.removeItem(at: f) } }

        func run(_ session: TrainingSession) -> FinalResult? {
            var log = EventLog(channel: session.channel)
            session.start()
            defer { session.wait() }
            return log.waitForEnd()
        }
        let whole = run(Self.session(configuration, folder: straight, threads: 1))
        let half = run(Self.session(configuration, folder: first, threads: 1, untilEpoch: 1))
        let checkpoint = try TrainingCheckpoint.read(from: try #require(half?.checkpointPath))
        #expect(checkpoint.position == BatchPosition(epoch: 1, batch: 0))
        let rest = run(Self.session(configuration, folder: second, threads: 1, resume: checkpoint))

        #expect(whole?.step == rest?.step)
        let a = try TrainingCheckpoint.read(from: try #require(whole?.checkpointPath))
        let b = try TrainingCheckpoint.read(from: try #require(rest?.checkpointPath))
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        #expect(a.tensors.keys.contains("optimizer.lookahead.step"))
        let differing = a.tensors.keys.sorted().filter { a.tensors[$0] != b.tensors[$0] }
        #expect(differing.isEmpty, "tensors that differ: \(differing)")
        #expect(whole?.lastEvaluation?.accuracy == rest?.lastEvaluation?.accuracy)
    }

    @Test func aNonFiniteLossPausesWithAWarningAndNothingNonFiniteIsSaved() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = Self.session(Self.configuration(learningRate: 1e9), folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        let paused = log.wait(for: "a pause") { $0.journalType == "paused" }
        guard case .paused(let step, let reason)? = paused else { return }
        #expect(reason?.hasPrefix("non-finite") == true)
        let warning = log.events.compactMap { if case .warning(let text) = $0 { text } else { nil } }.first
        #expect(warning?.contains("step \(step)") == true)
        #expect(warning?.contains("lower it") == true)
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
        let path = folder.appendingPathComponent("checkpoint.safetensors").path
        if FileManager.default.fileExists(atPath: path) {
            #expect(try TrainingCheckpoint.read(from: path).isFinite)
        } else {
            #expect(
                log.events.contains { if case .warning(let text) = $0 { text.contains("not saved") } else { false } })
        }
    }

    @Test func aSetupThatCannotStartFailsWithAClearMessage() {
        var configuration = Self.configuration()
        configuration.batchSize = 0
        let session = Self.session(configuration)
        var log = EventLog(channel: session.channel)
        session.start()
        let end = log.wait(for: "failure") { $0.journalType == "failed" }
        session.wait()
        guard case .failed(let message)? = end else { return }
        #expect(message.contains("--batch-size must be at least 1, got 0"))
    }

    /// A checkpoint for colour images of ten classes cannot continue on the grey stripes.
    @Test func aCheckpointForOtherImagesCannotResume() {
        let configuration = Self.configuration()
        let checkpoint = cifarCheckpoint(configuration)
        let session = Self.session(configuration, resume: checkpoint)
        var log = EventLog(channel: session.channel)
        session.start()
        let end = log.wait(for: "failure") { $0.journalType == "failed" }
        session.wait()
        guard case .failed(let message)? = end else { return }
        #expect(
            message.contains(
                "trained on cifar10 (10 classes of 3x32x32), but /generated/stripes has 3 classes of 1x16x16"),
            "\(message)")
    }
}
