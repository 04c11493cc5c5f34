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

    @Test func aPauseInOneViewerShowsInAnotherViewersKilledWithSIGKILLCostNothingAndTheHistoryComesBack() throws {
        let run = try DetachedRun.start()
        defer { run.end() }
        #expect(try run.waitForState("running"))
        let steering = try AttachedViewer(run)
        defer { steering.session.kill() }
        let watching = try AttachedViewer(run)
        defer { watching.session.kill() }
        try steering.session.wait(for: "RUNNING")
        try watching.session.wait(for: "RUNNING")
        try steering.session.send("+")
        try watching.session.wait(for: "the lr change") {
            $0.contains { $0.contains("learning rate") && $0.contains("→") }
        }
        try steering.session.send("p")
        try watching.session.wait(for: "PAUSED")
        #expect(try run.waitForState("paused"))

        kill(steering.pid, SIGKILL)
        kill(watching.pid, SIGKILL)
        #expect(run.convtop(["resume", "--runs-dir", run.root, "tiny"]).status == 0)
        #expect(try run.waitForState("running"))

        // A viewer attached now is sent the whole history: the lr change and the pause made before
        // it came are marked on its loss chart, and the run is still training.
        let late = try AttachedViewer(run)
        defer { late.session.kill() }
        let screen = try late.session.wait(for: "the markers of the lr change and the pause") {
            FashionRun.shows("RUNNING", $0) && FashionRun.shows("▲", $0) && FashionRun.shows("‖", $0)
        }
        let step = try #require(FashionRun.step(on: screen))
        try late.session.wait(for: "steps after the viewers were killed") { (FashionRun.step(on: $0) ?? 0) > step }
        #expect(run.convtop(["stop", "--runs-dir", run.root, "tiny"]).status == 0)
        #expect(try run.waitForState("stopped"))
    }

    @Test func aKilledRunIsDeadItsCheckpointLoadsAndViewAndCompareShowIt() throws {
        let run = try DetachedRun.start(options: ["--save-every", "1"])
        defer { run.end() }
        #expect(try run.waitForState("running"))
        let checkpoint = run.folder + "/checkpoint.safetensors"
        try FashionRun.waitForLog(run.folder + "/metrics.jsonl", timeout: 120) { $0.contains("checkpoint_saved") }
        // Paused, so that the journal's last evaluation is the checkpoint's.
        #expect(run.convtop(["pause", "--runs-dir", run.root, "tiny"]).status == 0)
        kill(try #require(run.pid), SIGKILL)
        #expect(try run.waitForState("dead"))
        let evaluated = run.convtop(["eval", "--data", DetachedRun.subset, checkpoint])
        #expect(evaluated.status == 0 && evaluated.output.contains("accuracy"), "\(evaluated)")

        let view = try TmuxSession(
            [FashionRun.binary, "view", "--runs-dir", run.root, "tiny", "--data", DetachedRun.subset],
            width: 100, height: 32, environment: FashionRun.unicode)
        defer { view.kill() }
        try view.wait(for: "FAILED")
        try view.wait(for: "process died")
        try view.send("p")
        try view.wait(for: "cannot steer the run")
        try view.send("m")
        try view.wait(for: "true:", timeout: 60)
        try view.send("q")
        #expect(try view.waitForExit() == 0)

        let other = try DetachedRun.start(in: run.root, name: "other", options: ["--lr", "0.05"])
        defer { other.end() }
        #expect(try other.waitForState("running"))
        let compare = try TmuxSession(
            [FashionRun.binary, "compare", "--runs-dir", run.root, "tiny", "other"], width: 120, height: 32,
            environment: FashionRun.unicode)
        defer { compare.kill() }
        let screen = try compare.wait(for: "both runs in the table") {
            // The legend names the runs too: wait for the table's rows.
            FashionRun.shows("Comparing 2 runs", $0) && $0.contains { $0.hasPrefix("● tiny") }
                && $0.contains { $0.hasPrefix("■ other") }
        }
        let tiny = try #require(screen.first { $0.hasPrefix("● tiny") })
        #expect(tiny.contains("dead"))
        #expect(screen.contains { $0.contains("LR") && $0.contains("BEST") })
        try compare.wait(for: "the second run running") {
            $0.contains { $0.hasPrefix("■ other") && $0.contains("running") }
        }
        try compare.send("q")
        #expect(try compare.waitForExit() == 0)
    }

    @Test func detachChecksTheDataInTheForeground() throws {
        let root = try FashionRun.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = DetachedRun(root: root)
        let started = run.convtop([
            "train", "--detach", "--data", root + "/no-such-data", "--run-dir", run.folder, "--model", "lenet",
        ])
        #expect(started.status == 2 && started.output.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: run.folder))
    }
}

/// `convtop attach` in a tmux session of its own, with the id of its process.
struct AttachedViewer {
    let session: TmuxSession
    let pid: Int32

    init(_ run: DetachedRun) throws {
        let pidFile = NSTemporaryDirectory() + "convtop-viewer-\(UUID().uuidString).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let command =
            "echo $$ > '\(pidFile)'; exec '\(FashionRun.binary)' attach --runs-dir '\(run.root)' '\(run.name)'"
        session = try TmuxSession(
            ["/bin/sh", "-c", command], width: 100, height: 32, environment: FashionRun.unicode)
        try session.wait(for: run.name)
        pid = try #require(
            Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

/// A tiny detached run in a folder of its own under `root`; `end` kills it if it still runs and
/// removes `root`.
struct DetachedRun {
    static let subset = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Assets/fashion-mnist-subset").path

    static var canRun: Bool {
        TmuxSession.isAvailable && FileManager.default.isExecutableFile(atPath: FashionRun.binary)
    }

    let root: String
    var name = "tiny"
    var folder: String { root + "/" + name }

    /// Starts LeNet on the shipped subset for 50 epochs, with `options` added (or replacing the defaults).
    static func start(in root: String? = nil, name: String = "tiny", options: [String] = []) throws -> DetachedRun {
        let run = DetachedRun(root: try root ?? FashionRun.runDirectory(), name: name)
        let started = run.convtop(
            [
                "train", "--detach", "--data", subset, "--run-dir", run.folder, "--model", "lenet",
                "--batch-size", "16", "--epochs", "50", "--threads", "1",
            ] + options)
        #expect(started.status == 0 && started.output.hasPrefix("\(name) started in"), "\(started)")
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
            let line = last.split(separator: "\n").first { $0.contains("\"name\":\"\(name)\"") }
            if line?.contains("\"state\":\"\(state)\"") == true { return true }
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
