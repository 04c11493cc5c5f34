import Foundation
import Testing
import TmuxHarness

/// A two-rank run in its dashboard, driven from tmux: the header shows the ranks and the time spent
/// communicating, a pause holds both ranks without burning CPU, and the journal shows both ranks
/// applying the pause and the new learning rate at the same step.
@Suite(
    .enabled(if: DataParallelRun.canRun && TmuxSession.isAvailable, "needs mpirun, tmux and the release binary"))
struct DataParallelSteeringTests {
    @Test func bothRanksPauseAndTakeTheNewLearningRateAtTheSameStep() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = try TmuxSession(
            DataParallelRun.twoRanks + [
                "train", "--data", DataParallelRun.subset, "--run-dir", folder, "--model", "lenet",
                "--batch-size", "32", "--epochs", "30", "--threads", "1", "--optimizer", "sgd", "--lr", "0.01",
                "--schedule", "constant", "--warmup", "0",
            ], width: 140, height: 32, environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8"])
        defer { session.kill() }
        var screen = try session.wait(for: "comm", timeout: 60)
        #expect(FashionRun.shows("1 thread x 2 ranks", screen), "\(screen.joined(separator: "\n"))")

        try session.send("p")
        screen = try session.wait(for: "PAUSED")
        let ranks = DataParallelRun.processes(runningIn: folder)
        try #require(ranks.count == 2, "ranks found: \(ranks)")
        // Let the waiting rank reach its long sleeps, then measure.
        Thread.sleep(forTimeInterval: 1.5)
        let before = ranks.map(DataParallelRun.cpuSeconds)
        Thread.sleep(forTimeInterval: 2)
        let used = zip(ranks.map(DataParallelRun.cpuSeconds), before).map { $0 - $1 }
        #expect(used.allSatisfy { $0 < 0.3 }, "CPU seconds used in 2 s of pause, per rank: \(used)")

        try session.send("+")
        try session.wait(for: "the learning rate at 0.02") { FashionRun.learningRate(on: $0) == 0.02 }
        try session.send("p")
        try session.wait(for: "RUNNING")
        try session.send("q")
        try session.wait(for: "[y/N]")
        try session.send("y")
        #expect(try session.waitForExit(timeout: 60) == 0)

        let records = try DataParallelRun.journal(folder)
        for type in ["paused", "lr_changed", "resumed"] {
            let record = try #require(records.first { $0["type"] as? String == type }, "no \(type) record")
            let step = try #require(record["step"] as? Int)
            #expect(record["rank_steps"] as? [Int] == [step, step], "\(type): \(record)")
        }
        let started = try #require(records.first { $0["type"] as? String == "started" })
        #expect(started["world_size"] as? Int == 2)
        #expect(records.contains { ($0["communication_seconds"] as? Double).map { $0 > 0 } ?? false })
    }
}
