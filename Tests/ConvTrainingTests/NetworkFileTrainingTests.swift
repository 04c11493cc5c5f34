import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Testing

@Suite struct NetworkFileTrainingTests {
    static let text = """
        # A network small enough to train in a test.
        conv1: conv 4 kernel=3 padding=same
        relu
        pool: maxpool 2
        flatten
        fc: linear classes

        """

    static func configuration(_ model: ModelChoice, freeze: [String]? = nil) -> TrainingConfiguration {
        TrainingConfiguration(
            model: model, epochs: 1, batchSize: 8, optimizer: .sgd, learningRate: 0.05, momentum: 0.9,
            normalize: "0.5,0.5", seed: 3, sampleCount: 4, freeze: freeze)
    }

    static func train(
        _ configuration: TrainingConfiguration, folder: URL,
        initialWeights: (checkpoint: TrainingCheckpoint, file: String)? = nil
    ) -> [TrainingEvent] {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: StripesDataset.dataset(),
                runFolder: RunFolder(url: folder), threads: 1,
                initialWeights: initialWeights))
        var log = EventLog(channel: session.channel)
        session.start()
        _ = log.waitForEnd()
        session.wait()
        return log.events
    }

    static func tensor(_ name: String, in checkpoint: TrainingCheckpoint) -> [Float] {
        checkpoint.tensors[name]!.float32Values()!
    }

    @Test func aNetworkFileTrainsAndItsCheckpointCarriesTheNetwork() throws {
        let folder = temporaryFolder()
        let file = folder.appendingPathComponent("tiny.net")
        try Self.text.write(to: file, atomically: true, encoding: .utf8)
        _ = Self.train(Self.configuration(ModelChoice(file.path)), folder: folder.appendingPathComponent("run"))
        // The file changes after training; the checkpoint keeps the network it was trained with.
        try "fc: linear classes\n".write(to: file, atomically: true, encoding: .utf8)
        let (saved, _) = try TrainingCheckpoint.load(fileOrRunFolder: folder.appendingPathComponent("run").path)
        #expect(saved.configuration.model == .file(file.path))
        #expect(saved.checkpoint.metadata.network == Self.text)
        #expect(try saved.checkpoint.network().name == "tiny")
        let model = try saved.makeModel(pool: ThreadPool(threads: 1))
        #expect(model.namedParameters.map(\.name) == ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"])
    }

    @Test func initFromTakesMatchingTensorsAndFreezeKeepsThemFixed() throws {
        let folder = temporaryFolder()
        let file = folder.appendingPathComponent("tiny.net")
        try Self.text.write(to: file, atomically: true, encoding: .utf8)
        _ = Self.train(Self.configuration(ModelChoice(file.path)), folder: folder.appendingPathComponent("source"))
        let source = try TrainingCheckpoint.load(fileOrRunFolder: folder.appendingPathComponent("source").path)
        // With a lookahead too: its averaging must leave the frozen weights exactly as they were.
        var tuning = Self.configuration(ModelChoice(file.path), freeze: ["conv1"])
        tuning.lookahead = true
        let events = Self.train(tuning, folder: folder.appendingPathComponent("tuned"), initialWeights: source)
        let news = events.compactMap { if case .initialized(let news) = $0 { news } else { nil } }
        #expect(
            news == [
                WeightInitialization(
                    source: source.file, taken: ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"],
                    reinitialized: [],
                    frozen: ["conv1.weight", "conv1.bias"])
            ])
        let journal = try String(
            contentsOf: folder.appendingPathComponent("tuned").appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let records = try journal.split(separator: "\n").map { try MetricsRecord(jsonLine: $0) }
        #expect(records.map(\.event.journalType).prefix(2) == ["started", "init_from"])
        #expect(records.compactMap { if case .initialized(let news) = $0.event { news } else { nil } } == news)
        let (tuned, _) = try TrainingCheckpoint.load(fileOrRunFolder: folder.appendingPathComponent("tuned").path)
        #expect(Self.tensor("conv1.weight", in: tuned) == Self.tensor("conv1.weight", in: source.checkpoint))
        #expect(Self.tensor("fc.weight", in: tuned) != Self.tensor("fc.weight", in: source.checkpoint))
        #expect(tuned.tensors["optimizer.conv1.weight.momentum_buffer"] == nil)
        // `convtop eval` and `predict` load the weights without the optimizer state the frozen layer lacks.
        let evaluated = try tuned.makeModel(pool: ThreadPool(threads: 1))
        #expect(evaluated.stateDict.map(\.value.values) == evaluated.stateDict.map { Self.tensor($0.name, in: tuned) })
        let watched = events.compactMap {
            if case .layerHealth(let health) = $0 { health.layers.map(\.name) } else { nil }
        }
        #expect(!watched.isEmpty && watched.allSatisfy { $0 == ["fc"] })
    }

    @Test func theStartedEventCarriesTheModelTable() throws {
        let folder = temporaryFolder()
        let file = folder.appendingPathComponent("tiny.net")
        try Self.text.write(to: file, atomically: true, encoding: .utf8)
        let events = Self.train(
            Self.configuration(ModelChoice(file.path)), folder: folder.appendingPathComponent("run"))
        guard case .started(let summary) = events.first, let table = summary.modelTable else {
            Issue.record("no model table in \(String(describing: events.first))")
            return
        }
        let expected = NetworkSummary(try ModelChoice(file.path).network(for: StripesDataset.dataset()))
        #expect(table.rows.map(\.name) == ["conv1", "1", "pool", "3", "fc"])
        #expect(table.rows.map(\.layer) == expected.rows.map(\.layer))
        #expect(table.rows.map(\.outputShape) == expected.rows.map(\.outputShape))
        #expect(table.rows.map(\.parameters) == expected.rows.map(\.parameters))
        #expect(table.rows.map(\.algorithm) == expected.rows.map(\.algorithm))
        #expect(table.parameters == summary.parameterCount)
        #expect(table.multiplyAdds == expected.rows.reduce(0) { $0 + $1.multiplyAdds })
    }

    /// Training N epochs, saving, and resuming for M more gives the weights of N + M straight,
    /// dropout masks included.
    @Test func aResumedDropoutNetworkMatchesAnUninterruptedRun() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("dropout.net")
        try Self.text.replacingOccurrences(of: "fc: linear", with: "drop: dropout 0.5\nfc: linear").write(
            to: file, atomically: true, encoding: .utf8)
        var configuration = Self.configuration(ModelChoice(file.path))
        configuration.epochs = 2
        func run(_ name: String, resume: TrainingCheckpoint? = nil, untilEpoch: Int? = nil) -> FinalResult? {
            try? FileManager.default.createDirectory(
                at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
            let session = TrainingSession(
                setup: TrainingSetup(
                    configuration: configuration, dataset: StripesDataset.dataset(),
                    runFolder: RunFolder(url: folder.appendingPathComponent(name)), threads: 1, resume: resume,
                    untilEpoch: untilEpoch))
            var log = EventLog(channel: session.channel)
            session.start()
            defer { session.wait() }
            return log.waitForEnd()
        }
        let whole = run("straight")
        let half = run("first", untilEpoch: 1)
        let checkpoint = try TrainingCheckpoint.read(from: try #require(half?.checkpointPath))
        #expect(checkpoint.checkpoint.metadata.dropoutGenerators.keys.sorted() == ["drop"])
        let rest = run("second", resume: checkpoint)
        let a = try TrainingCheckpoint.read(from: try #require(whole?.checkpointPath))
        let b = try TrainingCheckpoint.read(from: try #require(rest?.checkpointPath))
        #expect(a.step == b.step && a.step > 0)
        let differing = a.tensors.keys.sorted().filter { a.tensors[$0] != b.tensors[$0] }
        #expect(differing.isEmpty, "tensors that differ: \(differing)")
        #expect(a.checkpoint.metadata.dropoutGenerators == b.checkpoint.metadata.dropoutGenerators)
    }

    @Test func aFreezePrefixThatNamesNoLayerFailsTheRun() throws {
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: Self.configuration(.preset(.lenet), freeze: ["conv9"]),
                dataset: StripesDataset.dataset(),
                runFolder: nil, threads: 1))
        var log = EventLog(channel: session.channel)
        session.start()
        let end = log.wait(for: "the failure") { if case .failed = $0 { true } else { false } }
        session.wait()
        #expect(end == .failed("--freeze conv9 names no layer with parameters in lenet"))
    }
}
