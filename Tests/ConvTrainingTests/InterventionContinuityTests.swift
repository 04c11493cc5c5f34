import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// A range test that is cancelled, and an intervention that is undone, leave the run exactly where
/// it was: the weights after N more steps are those of the run that never intervened, bit for bit.
/// The net has batch normalisation and dropout and the images are augmented, so the statistics,
/// the dropout generator and the data position must all come back.
@Suite(.serialized) struct InterventionContinuityTests {
    static let network = """
        conv1: conv 4 kernel=3 padding=same
        bn1: batchnorm
        relu
        pool1: maxpool 2
        flatten
        drop: dropout 0.25
        fc: linear classes
        """

    /// Training from `resume` (or from the start) until the end of epoch `untilEpoch`, with
    /// `commands` queued before the first step, and paused after step `pauseAfterStep`; returns the
    /// final checkpoint and the events.
    static func train(
        _ folder: URL, network: URL, resume: TrainingCheckpoint?, untilEpoch: Int, commands: [TrainingCommand] = [],
        pauseAfterStep: Int? = nil, steer: (TrainingSession, inout EventLog) -> Void = { _, _ in }
    ) throws -> (checkpoint: TrainingCheckpoint, log: EventLog) {
        let configuration = TrainingConfiguration(
            model: .file(network.path), epochs: 3, batchSize: 8, optimizer: .sgd, learningRate: 0.02, momentum: 0.9,
            augment: .standard, normalize: "0.5,0.5", seed: 11, sampleCount: 4)
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: StripesDataset.dataset(), runFolder: RunFolder(url: folder),
                threads: 2, resume: resume, untilEpoch: untilEpoch))
        for command in commands { session.channel.send(command) }
        if let pauseAfterStep { session.channel.send(.pause, afterStep: pauseAfterStep) }
        var log = EventLog(channel: session.channel)
        session.start()
        steer(session, &log)
        _ = log.waitForEnd()
        session.wait()
        return (try TrainingCheckpoint.read(from: folder.appendingPathComponent("checkpoint.safetensors").path), log)
    }

    /// The checkpoint after epoch 1, the one after epoch 2 of the run that never intervened, and
    /// the network file, in `root`.
    static func baseline(_ root: URL) throws -> (epoch1: TrainingCheckpoint, epoch2: TrainingCheckpoint, network: URL) {
        let network = root.appendingPathComponent("net.txt")
        try Self.network.write(to: network, atomically: true, encoding: .utf8)
        let epoch1 = try train(folder(root, "epoch1"), network: network, resume: nil, untilEpoch: 1).checkpoint
        let epoch2 = try train(folder(root, "plain"), network: network, resume: epoch1, untilEpoch: 2).checkpoint
        #expect(epoch1.step == 30 && epoch2.step == 60)
        return (epoch1, epoch2, network)
    }

    static func folder(_ root: URL, _ name: String) -> URL {
        let url = root.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aCancelledRangeTestLeavesTheWeightsOfTheRunThatNeverIntervened() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let (epoch1, plain, network) = try Self.baseline(root)
        let (tested, log) = try Self.train(
            Self.folder(root, "tested"), network: network, resume: epoch1, untilEpoch: 2,
            commands: [.findLearningRate(steps: 25), .resume])
        let probes = log.events.compactMap { if case .learningRateProbed(let p) = $0 { p } else { nil } }
        let finding = log.events.compactMap { if case .learningRateFound(let f) = $0 { f } else { nil } }.first
        #expect(!probes.isEmpty && probes.allSatisfy { $0.step == 30 })
        #expect(finding?.probes == probes.count)
        // The sweep really trained: the loss moved as the rate rose.
        #expect(Set(probes.map(\.loss)).count > 1)
        #expect(tested.step == plain.step)
        #expect(tested.tensors == plain.tensors)
        // The check can fail: the same run with the rate halved instead ends elsewhere.
        let changed = try Self.train(
            Self.folder(root, "changed"), network: network, resume: epoch1, untilEpoch: 2,
            commands: [.scaleLearningRate(0.5)]
        ).checkpoint
        #expect(changed.tensors["conv1.weight"] != plain.tensors["conv1.weight"])
    }

    @Test func anUndoRestoresTheSnapshotExactlyAndTheRunContinuesAsIfNeverChanged() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let (epoch1, plain, network) = try Self.baseline(root)
        let saved = root.appendingPathComponent("after-undo.safetensors").path
        var rewind: Rewind?
        let (undone, _) = try Self.train(
            Self.folder(root, "undone"), network: network, resume: epoch1, untilEpoch: 2,
            commands: [.setLearningRate(0.2)], pauseAfterStep: 36
        ) { session, log in
            log.wait(for: "paused") { $0.journalType == "paused" }
            session.channel.send(.undo)
            if case .undone(let r)? = log.wait(for: "undone", { $0.journalType == "undone" }) { rewind = r }
            session.channel.send(.save(path: saved))
            log.wait(for: "saved") { $0.journalType == "checkpoint_saved" }
            session.channel.send(.undo)
            log.wait(for: "nothing left to undo") { if case .warning = $0 { true } else { false } }
            session.channel.send(.resume)
        }
        #expect(rewind?.step == 30 && rewind?.fromStep == 36 && rewind?.remaining == 0)
        #expect(abs((rewind?.learningRate ?? 0) - 0.02) < 1e-12)
        let afterUndo = try TrainingCheckpoint.read(from: saved)
        #expect(afterUndo.step == epoch1.step && afterUndo.position == epoch1.position)
        #expect(afterUndo.learningRateScale == epoch1.learningRateScale)
        #expect(afterUndo.tensors == epoch1.tensors)
        #expect(undone.step == plain.step)
        #expect(undone.tensors == plain.tensors)
    }
}
