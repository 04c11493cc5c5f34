import Foundation
import Testing
import TmuxHarness

/// A run started with `train --detach` on the shipped Fashion-MNIST subset, steered by the one-shot
/// commands and by dashboards attached from tmux. Needs tmux and the release binary (`make test`).
@Suite(.enabled(if: DetachedRun.canRun, "needs tmux and the release convtop binary"), .serialized)
struct AttachTests {
    @Test func aDetachedRunIsPausedFromAnAttachedDashboardListedAndStopped() throws {
        let run = try DetachedRun.start()
        defer { run.end() }
        #expect(try run.waitForState("running"))

        let viewer = try TmuxSession(
            [FashionRun.binary, "attach", "--runs-dir", run.root, "tiny"], width: 100, height: 32)
        defer { viewer.kill() }
        try viewer.wait(for: "RUNNING")
        try viewer.send("p")
        try viewer.wait(for: "PAUSED")
        try viewer.send("d")
        try viewer.wait(for: "detached from tiny")
        #expect(try run.waitForState("paused"))

        // A second viewer gets the history: the run's name and its paused state.
        let late = try TmuxSession([FashionRun.binary, "attach", "--runs-dir", run.root], width: 100, height: 32)
        defer { late.kill() }
        let screen = try late.wait(for: "PAUSED")
        #expect(FashionRun.shows("fashion-mnist", screen))
        try late.send("q")
        try late.wait(for: "detach and leave it running")
        try late.send("d")
        try late.wait(for: "detached from tiny")

        #expect(run.convtop(["resume", "--runs-dir", run.root, "tiny"]).status == 0)
        #expect(run.convtop(["lr", "--runs-dir", run.root, "tiny", "0.02"]).status == 0)
        #expect(run.convtop(["stop", "--runs-dir", run.root, "tiny"]).status == 0)
        #expect(try run.waitForState("stopped"))
        #expect(run.convtop(["pause", "--runs-dir", run.root, "tiny"]).status == 2)
        #expect(run.convtop(["pause", "--runs-dir", run.root, "nosuch"]).status == 2)
    }

    @Test func aRunKilledWithSIGKILLIsDeadAndItsStaleSocketNotTrusted() throws {
        let run = try DetachedRun.start()
        defer { run.end() }
        #expect(try run.waitForState("running"))
        let pid = try #require(run.pid)
        kill(pid, SIGKILL)
        #expect(try run.waitForState("dead"))
        #expect(FileManager.default.fileExists(atPath: run.folder + "/control.sock"))
        #expect(run.convtop(["pause", "--runs-dir", run.root, "tiny"]).status == 2)
    }
}

/// A tiny detached run in a fresh folder; `end` kills it if it still runs and removes the folder.
struct DetachedRun {
    static let subset = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Assets/fashion-mnist-subset").path

    static var canRun: Bool {
        TmuxSession.isAvailable && FileManager.default.isExecutableFile(atPath: FashionRun.binary)
    }

    let root: String
    var folder: String { root + "/tiny" }

    static func start() throws -> DetachedRun {
        let run = DetachedRun(root: try FashionRun.runDirectory())
        let started = run.convtop([
            "train", "--detach", "--data", subset, "--run-dir", run.folder, "--model", "lenet",
            "--batch-size", "16", "--epochs", "50", "--threads", "1",
        ])
        #expect(started.status == 0 && started.output.hasPrefix("tiny started in"), "\(started)")
        return run
    }

    var pid: Int32? {
        (try? String(contentsOfFile: folder + "/convtop.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Polls `convtop runs --json` until the run shows `state`.
    func waitForState(_ state: String, timeout: Double = 60) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var last = ""
        while Date() < deadline {
            last = convtop(["runs", "--runs-dir", root, "--json"]).output
            if last.contains("\"state\":\"\(state)\"") { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("the run never showed \(state); convtop runs said: \(last)")
        return false
    }

    /// Runs the binary to its end: exit status and standard output.
    func convtop(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FashionRun.binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return (-1, "") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func end() {
        if let pid, kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: root)
    }
}
