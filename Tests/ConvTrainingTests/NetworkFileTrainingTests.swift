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
        let network = try saved.checkpoint.network()
        #expect(network.name == "tiny")
        let model = Model(network: network, seed: 0, pool: ThreadPool(threads: 1))
        try saved.restore(into: model)
        #expect(model.namedParameters.map(\.name) == ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"])
    }

    @Test func initFromTakesMatchingTensorsAndFreezeKeepsThemFixed() throws {
        let folder = temporaryFolder()
        let file = folder.appendingPathComponent("tiny.net")
        try Self.text.write(to: file, atomically: true, encoding: .utf8)
        _ = Self.train(Self.configuration(ModelChoice(file.path)), folder: folder.appendingPathComponent("source"))
        let source = try TrainingCheckpoint.load(fileOrRunFolder: folder.appendingPathComponent("source").path)
        let events = Self.train(
            Self.configuration(ModelChoice(file.path), freeze: ["conv1"]),
            folder: folder.appendingPathComponent("tuned"), initialWeights: source)
        let note = events.compactMap { if case .warning(let text) = $0 { text } else { nil } }.first
        #expect(
            note
                == "initialised from \(source.file): took 4 of 4 tensors (conv1.weight, conv1.bias, fc.weight, fc.bias); "
                + "newly initialised: none")
        let (tuned, _) = try TrainingCheckpoint.load(fileOrRunFolder: folder.appendingPathComponent("tuned").path)
        #expect(Self.tensor("conv1.weight", in: tuned) == Self.tensor("conv1.weight", in: source.checkpoint))
        #expect(Self.tensor("fc.weight", in: tuned) != Self.tensor("fc.weight", in: source.checkpoint))
        #expect(tuned.tensors["optimizer.conv1.weight.momentum_buffer"] == nil)
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
