import ConvTraining
import Foundation
import Testing

@Suite struct RunFolderTests {
    @Test func aNamedRunThatExistsGetsANumberedSibling() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try RunFolder.create(directory: nil, name: "exp", root: root.path)
        let second = try RunFolder.create(directory: nil, name: "exp", root: root.path)
        #expect(first.name == "exp")
        #expect(second.name == "exp-2")
        #expect(FileManager.default.fileExists(atPath: second.url.path))
        #expect(first.checkpointFile.lastPathComponent == "checkpoint.safetensors")
        #expect(first.metricsFile.lastPathComponent == "metrics.jsonl")
    }

    @Test func anUnnamedRunIsNamedAfterItsStartTimeInUTC() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try RunFolder.create(
            directory: nil, name: nil, root: root.path,
            now: Date(timeIntervalSince1970: 1_795_926_414))
        #expect(folder.name == "20261129-042654")
    }

    @Test func checkpointCandidatesAreNewestFirstAndOnlySafetensors() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let manager = FileManager.default
        for (name, age) in [("old.safetensors", 300.0), ("new.safetensors", 10), ("metrics.jsonl", 0)] {
            let file = root.appendingPathComponent(name)
            _ = manager.createFile(atPath: file.path, contents: Data([1]))
            try manager.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: file.path)
        }
        let names = RunFolder(url: root).checkpointCandidates().map(\.lastPathComponent)
        #expect(names == ["new.safetensors", "old.safetensors"])
    }

    @Test func resumingFromAFolderPassesOverADamagedNewerCheckpoint() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = TrainingSessionTests.session(TrainingSessionTests.configuration(epochs: 1), folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        let result = log.waitForEnd()
        session.wait()
        let good = try #require(result?.checkpointPath)
        let damaged = folder.appendingPathComponent("later.safetensors")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: damaged)
        #expect(throws: (any Error).self) { try TrainingCheckpoint.read(from: damaged.path) }
        let loaded = try TrainingCheckpoint.load(fileOrRunFolder: folder.path)
        #expect(loaded.file == good)
        #expect(loaded.checkpoint.step == result?.step)
    }
}
