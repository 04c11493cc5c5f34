import Foundation
import Testing
import TmuxHarness

/// A two-rank run steered from a dashboard in tmux. `mpirun` hands its ranks pipes, not the
/// terminal, so rank 0 trains headless and the dashboard attaches to its socket, as on a cluster
/// where the job runs on other nodes: the header shows the ranks and the time spent communicating,
/// a pause holds both ranks without burning CPU, and the journal shows both ranks applying the pause
/// and the new learning rate at the same step.
@Suite(
    .enabled(if: DataParallelRun.canRun && TmuxSession.isAvailable, "needs mpirun, tmux and the release binary"))
struct DataParallelSteeringTests {
    @Test func bothRanksPauseAndTakeTheNewLearningRateAtTheSameStep() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run"
        let job = try DataParallelRun.start(
            DataParallelRun.twoRanks.dropFirst()
                + DataParallelRun.train(
                    into: run,
                    [
                        "--data", DataParallelRun.subset, "--model", "lenet", "--epochs", "30", "--optimizer",
                        "sgd", "--lr", "0.01", "--schedule", "constant", "--warmup", "0",
                    ], untilEpoch: 30),
            log: folder + "/mpirun.log")
        defer { if job.isRunning { job.terminate() } }
        try DataParallelRun.waitUntil("the run's socket", timeout: 60) {
            FileManager.default.fileExists(atPath: run + "/control.sock")
        }
        let viewer = try TmuxSession(
            [DataParallelRun.binary, "attach", run], width: 140, height: 32,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8"])
        defer { viewer.kill() }
        var screen = try viewer.wait(for: "comm", timeout: 60)
        #expect(FashionRun.shows("1 thread x 2 ranks", screen), "\(screen.joined(separator: "\n"))")

        try viewer.send("p")
        screen = try viewer.wait(for: "PAUSED")
        let ranks = DataParallelRun.processes(runningIn: run)
        try #require(ranks.count == 2, "ranks found: \(ranks)")
        // Let the waiting rank reach its long sleeps, then measure.
        Thread.sleep(forTimeInterval: 1.5)
        let before = ranks.map(DataParallelRun.cpuSeconds)
        Thread.sleep(forTimeInterval: 2)
        let used = zip(ranks.map(DataParallelRun.cpuSeconds), before).map { $0 - $1 }
        #expect(used.allSatisfy { $0 < 0.3 }, "CPU seconds used in 2 s of pause, per rank: \(used)")

        try viewer.send("+")
        try viewer.wait(for: "the learning rate at 0.02") { FashionRun.learningRate(on: $0) == 0.02 }
        try viewer.send("p")
        try viewer.wait(for: "RUNNING")
        try viewer.send("q")
        try viewer.wait(for: "[y/d/N]")
        try viewer.send("y")
        try DataParallelRun.waitUntil("the job to end", timeout: 60) { !job.isRunning }
        #expect(
            job.terminationStatus == 0,
            "\((try? String(contentsOfFile: folder + "/mpirun.log", encoding: .utf8)) ?? "")")

        let records = try DataParallelRun.journal(run)
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
