import ConvData
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// `kill -9` of a trainer started with `train --detach` at ten points of its life: in a checkpoint
/// save asked for over the socket, in a periodic save, in a learning-rate range test, in an undo,
/// at five random moments of training, and (the launcher, which decodes the folder) while the
/// decode cache is being written. After each the newest checkpoint loads (`eval` and in process),
/// `convtop runs` shows the run dead and `train --resume` continues from the checkpoint's step.
@Suite(.enabled(if: ImageFolderSandbox.canRun, "needs the convtop binary built beside the tests"), .serialized)
struct KillFaultTests {
    /// Where a trial kills the trainer; each starts once the run has saved its first checkpoint.
    enum KillPoint: CustomTestStringConvertible, Sendable {
        /// Paused (so that no periodic save interferes), a save asked for over the socket; killed
        /// once its temporary file exists.
        case saveOnCommand
        /// The save at the end of an epoch (`--save-every 1`); killed once its temporary file exists.
        case periodicSave
        /// A 400-batch range test over the socket; killed after `probes` of its batches.
        case rangeTest(probes: Int)
        /// A learning-rate change then an undo over the socket; killed `delay` seconds after the undo is sent.
        case undo(delay: Double)
        /// Killed `delay` seconds into training.
        case training(delay: Double)

        var testDescription: String {
            switch self {
            case .saveOnCommand: "in a save asked for over the socket"
            case .periodicSave: "in a periodic save"
            case .rangeTest(let probes): "after \(probes) batches of a range test"
            case .undo(let delay): String(format: "%.3f s after an undo", delay)
            case .training(let delay): String(format: "%.2f s into training", delay)
            }
        }

        static let trials: [KillPoint] =
            [
                .saveOnCommand, .periodicSave, .rangeTest(probes: .random(in: 1...100)),
                .undo(delay: .random(in: 0...0.005)),
            ] + (0..<5).map { _ in .training(delay: .random(in: 0...1.5)) }
    }

    @Test(arguments: KillPoint.trials)
    func aKilledTrainerLeavesALoadableCheckpointADeadRunAndAResumableOne(_ point: KillPoint) throws {
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        let model = sandbox.root.appendingPathComponent("wide.net")
        try Data(Self.wideNetwork.utf8).write(to: model)
        let run = try sandbox.startDetached(model: model.path)
        try sandbox.waitForEvent(run, "the first checkpoint") {
            if case .checkpointSaved = $0 { true } else { false }
        }
        let pid = try #require(sandbox.pid(run))
        try killTrainer(pid, run, at: point, in: sandbox)
        try checkAfterKill(run, in: sandbox)
    }

    /// One hidden layer of 2,048 units: 0.53 million parameters, a checkpoint of 4.2 MB with the
    /// momentum, whose save (written and flushed to disk) lasts long enough to be killed in; LeNet's
    /// 122 KB are often saved before a test sees the temporary file. A step takes a few milliseconds.
    static let wideNetwork = """
        flatten
        fc1: linear 2048
        relu
        fc2: linear classes

        """

    /// The launcher of `train --detach` decodes the folder into the cache before it starts the
    /// trainer; killed in the middle of that write, it leaves a partial file that is never read as
    /// the cache, and the next run decodes again into a whole cache holding the same pixels as a
    /// decode without any cache.
    @Test func aDecodeCacheKilledHalfWrittenIsNeverTrusted() throws {
        // 300 files of 512x512 pixels: the decode is the window to kill in, under 0.2 s at 256x256 on
        // two quiet cores, so the kill comes at most 50 ms after the partial file appears.
        let sandbox = try ImageFolderSandbox(trainPerClass: 140, validationPerClass: 10, side: 512)
        defer { sandbox.end() }
        let folder = sandbox.runs + "/run"
        let launcher = sandbox.launch(
            ["train", "--detach", "--data", sandbox.photos.path, "--run-dir", folder] + ImageFolderSandbox.training())
        launcher.standardOutput = FileHandle.nullDevice
        launcher.standardError = FileHandle.nullDevice
        try launcher.run()
        try ImageFolderSandbox.waitUntil("the decode cache's partial file", timeout: 30) {
            cacheFiles(sandbox).contains { $0.hasSuffix(".partial") }
        }
        Thread.sleep(forTimeInterval: .random(in: 0...0.05))
        kill(launcher.processIdentifier, SIGKILL)
        launcher.waitUntilExit()
        let left = cacheFiles(sandbox)
        try #require(
            left.count == 1 && left[0].hasSuffix(".partial"), "the kill came after the cache was written: \(left)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/metrics.jsonl"))

        // The worst a writer could leave: the unfinished file under the cache's own name
        // (".NAME.PID.partial"), here in a cache folder of its own. It is decoded afresh.
        let name = String(left[0].dropFirst().prefix { $0 != "." }) + ".images"
        let fake = sandbox.root.appendingPathComponent("fake-cache")
        try FileManager.default.createDirectory(at: fake, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: sandbox.cache.appendingPathComponent(left[0]), to: fake.appendingPathComponent(name))
        let decoded = try ImageFolderLoader(options: options(cacheFolder: fake)).load(sandbox.photos)
        #expect(decoded.imageFolder?.fromCache == false, "a half-written cache file was read as the cache")

        let run = try sandbox.startDetached()
        // The launcher wrote the cache whole and removed the killed writer's partial file.
        #expect(cacheFiles(sandbox) == [name])
        try sandbox.waitForEvent(run, "the first checkpoint") { if case .checkpointSaved = $0 { true } else { false } }
        try sandbox.killTrainer(try #require(sandbox.pid(run)))
        try checkAfterKill(run, in: sandbox)

        let cached = try ImageFolderLoader(options: options(cacheFolder: sandbox.cache)).load(sandbox.photos)
        #expect(cached.imageFolder?.fromCache == true)
        for (mine, theirs) in [(cached.train, decoded.train), (cached.validation, decoded.validation)] {
            #expect(mine.count == theirs.count && mine.labels == theirs.labels && mine.fileNames == theirs.fileNames)
            let differing = (0..<min(mine.count, theirs.count)).filter { mine.image(at: $0) != theirs.image(at: $0) }
            #expect(differing.isEmpty, "images that differ from a decode without the cache: \(differing)")
        }
    }

    // MARK: Killing

    private func killTrainer(_ pid: Int32, _ run: String, at point: KillPoint, in sandbox: ImageFolderSandbox) throws {
        switch point {
        case .saveOnCommand:
            let connection = try sandbox.connect(run)
            connection.send(.pause)
            try sandbox.waitForEvent(run, "the pause") { if case .paused = $0 { true } else { false } }
            try killWhileSaving(pid, run, in: sandbox, before: { connection.send(.save(path: nil)) })
        case .periodicSave:
            try killWhileSaving(pid, run, in: sandbox, before: {})
        case .rangeTest(let probes):
            let connection = try sandbox.connect(run)
            connection.send(.findLearningRate(steps: 400))
            try ImageFolderSandbox.waitUntil("\(probes) batches of the range test", timeout: 30) {
                connection.events(waitingAtMost: 1).contains {
                    if case .learningRateProbed(let probe) = $0 { probe.index + 1 >= probes } else { false }
                }
            }
            try sandbox.killTrainer(pid)
            let events = sandbox.journal(run)
            let sweep = try #require(
                events.lazy.compactMap { if case .learningRateSweepStarted(let sweep) = $0 { sweep } else { nil } }.last
            )
            #expect(!events.contains { if case .learningRateFound = $0 { true } else { false } }, "the test ended")
            let (checkpoint, _) = try TrainingCheckpoint.load(fileOrRunFolder: run)
            #expect(checkpoint.step <= sweep.step, "a checkpoint holds the weights of the range test")
        case .undo(let delay):
            let connection = try sandbox.connect(run)
            connection.send(.setLearningRate(0.02))
            try sandbox.waitForEvent(run, "the learning-rate change") {
                if case .learningRateChanged = $0 { true } else { false }
            }
            connection.send(.undo)
            Thread.sleep(forTimeInterval: delay)
            try sandbox.killTrainer(pid)
        case .training(let delay):
            Thread.sleep(forTimeInterval: delay)
            try sandbox.killTrainer(pid)
        }
    }

    /// Kills the trainer while a checkpoint's temporary file it writes after `before` is in `run`:
    /// as soon as the file appears the trainer is stopped (SIGSTOP), and killed if the file is still
    /// there. A save that finished in between (the test descheduled on a busy machine) is let go on
    /// and asked for again.
    private func killWhileSaving(_ pid: Int32, _ run: String, in sandbox: ImageFolderSandbox, before: () -> Void)
        throws
    {
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []).filter {
                $0.hasPrefix(".checkpoint.safetensors.tmp-")
            }
        }
        /// The checkpoint's inode, which each save's rename replaces.
        func checkpointInode() -> UInt64? {
            var status = stat()
            return stat(run + "/checkpoint.safetensors", &status) == 0 ? UInt64(status.st_ino) : nil
        }
        var saved = checkpointInode()
        before()
        let deadline = Date(timeIntervalSinceNow: 30)
        while true {
            try #require(Date() < deadline, "no checkpoint save was caught within 30 s")
            if let now = checkpointInode(), now != saved {
                saved = now
                before()
            }
            guard !temporaries().isEmpty else { continue }
            kill(pid, SIGSTOP)
            // The signal lands a moment after kill(2) returns: look once the process has stopped.
            try ImageFolderSandbox.waitUntil("process \(pid) to stop", timeout: 10) { Self.isStopped(pid) }
            if !temporaries().isEmpty { break }
            kill(pid, SIGCONT)
        }
        try sandbox.killTrainer(pid)
        #expect(!temporaries().isEmpty, "the save finished before the kill")
    }

    /// Whether process `pid` is stopped by a signal: state `T` in /proc/PID/stat, after the
    /// parenthesised command name.
    private static func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[close...].dropFirst().trimmingCharacters(in: .whitespaces).hasPrefix("T")
    }

    // MARK: After a kill

    /// The run is dead, its newest checkpoint loads, and `--resume` continues from its step,
    /// leaving no temporary file of the killed save behind.
    private func checkAfterKill(_ run: String, in sandbox: ImageFolderSandbox) throws {
        try sandbox.waitForState(run, "dead")
        let (checkpoint, file) = try TrainingCheckpoint.load(fileOrRunFolder: run)
        #expect(file == run + "/checkpoint.safetensors")
        let evaluated = sandbox.convtop(["eval", run])
        #expect(evaluated.status == 0 && evaluated.output.contains("accuracy"), "\(evaluated)")

        let resumed = sandbox.convtop(
            ["train", "--headless", "--resume", run, "--until-epoch", String(checkpoint.position.epoch + 2)])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.output.contains("resuming from \(file) at step \(checkpoint.step)"), "\(resumed.output)")
        #expect(resumed.output.contains("finished: "), "\(resumed.output)")
        let after = try TrainingCheckpoint.load(fileOrRunFolder: run).checkpoint
        #expect(after.step > checkpoint.step)
        #expect(sandbox.state(run) == "stopped")
        let left = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "files left in the run folder: \(left)")
    }

    // MARK: The decode cache

    private func cacheFiles(_ sandbox: ImageFolderSandbox) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sandbox.cache.path)) ?? []).sorted()
    }

    /// The run's image size and channels (`ImageFolderSandbox.training`).
    private func options(cacheFolder: URL?) -> ImageFolderOptions {
        ImageFolderOptions(imageSize: 16, channels: 1, cacheFolder: cacheFolder)
    }
}
