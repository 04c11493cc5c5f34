import ConvProtocol
import ConvTraining
import Foundation
import ImageFixtures
import Testing

/// A temporary folder holding a generated image folder (`photos/`), the decode cache (`cache/`,
/// through `CONVTOP_CACHE_DIR`) and the runs (`runs/`) of the `convtop` built with these tests.
/// `end` kills every run it started that still lives and removes the folder.
final class ImageFolderSandbox {
    let root: URL
    var photos: URL { root.appendingPathComponent("photos") }
    /// `CONVTOP_CACHE_DIR` for every command: `cache/` unless a test moves it.
    var cache: URL
    var runs: String { root.appendingPathComponent("runs").path }

    /// `photos/train` with `trainPerClass` and `photos/val` with `validationPerClass` grey PNGs
    /// of each of the classes "top" and "bottom", `side` pixels square.
    init(trainPerClass: Int = 24, validationPerClass: Int = 8, side: Int = 16) throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "convtop-faults-\(UUID().uuidString)")
        cache = root.appendingPathComponent("cache")
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        for (split, count) in [("train", trainPerClass), ("val", validationPerClass)] {
            for i in 0..<count {
                try addImage("\(split)/top/\(i).png", top: true, side: side, noise: i)
                try addImage("\(split)/bottom/\(i).png", top: false, side: side, noise: i)
            }
        }
    }

    /// Writes one banded PNG to `photos/<path>`.
    func addImage(_ path: String, top: Bool, side: Int = 16, noise: Int = 0) throws {
        try ImageFiles.write(ImageFiles.bandPNG(side: side, top: top, noise: noise), to: photos, path)
    }

    /// A run of `model` on `photos` at 16x16 grey with a constant rate, long enough never to end
    /// on its own, saving a checkpoint every epoch (of 6 steps: under 20 ms for LeNet).
    static func training(model: String = "lenet") -> [String] {
        [
            "--model", model, "--batch-size", "8", "--epochs", "100000", "--threads", "1", "--augment", "none",
            "--image-size", "16", "--channels", "1", "--optimizer", "sgd", "--lr", "0.01", "--schedule", "constant",
            "--warmup", "0", "--save-every", "1",
        ]
    }

    /// Starts `train --detach` on `photos` into `runs/<name>` (or `folder`), `options` overriding
    /// the sandbox's training options.
    @discardableResult
    func startDetached(
        _ name: String = "run", folder: String? = nil, model: String = "lenet", options: [String] = []
    ) throws -> String {
        let folder = folder ?? runs + "/" + name
        let started = convtop(
            ["train", "--detach", "--data", photos.path, "--run-dir", folder] + Self.training(model: model) + options)
        try #require(started.status == 0, "train --detach: \(started.errors)")
        detached.append(folder)
        return folder
    }

    /// Trains on `photos` into `folder` in the foreground, headless, through epoch 1.
    func trainOneEpoch(into folder: String, _ options: [String] = []) -> (status: Int32, output: String, errors: String)
    {
        convtop(
            ["train", "--headless", "--data", photos.path, "--run-dir", folder, "--until-epoch", "1"] + Self.training()
                + options)
    }

    /// Runs the binary to its end: exit status, standard output and standard error.
    func convtop(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let process = launch(arguments)
        let output = Pipe()
        process.standardOutput = output
        // Standard error goes to a file, so that neither stream can fill while the other is read.
        let errorFile = root.appendingPathComponent("stderr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil),
            let errors = try? FileHandle(forWritingTo: errorFile)
        else { return (-1, "", "cannot create \(errorFile.path)") }
        process.standardError = errors
        guard (try? process.run()) != nil else { return (-1, "", "cannot start \(Self.binary)") }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errors.close()
        return (
            process.terminationStatus, String(decoding: out, as: UTF8.self),
            (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    /// The binary with `arguments` and the sandbox's cache folder, not started. A crash ends it
    /// at once with its signal: Swift's backtracer, started on a crash, has outlived the crashed
    /// process here by minutes while holding its output pipe, which hung the test.
    func launch(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CONVTOP_CACHE_DIR": cache.path, "SWIFT_BACKTRACE": "enable=no"]) { $1 }
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// The id of the process serving the run in `folder`, from its pid file.
    func pid(_ folder: String) -> Int32? {
        (try? String(contentsOfFile: folder + "/convtop.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The run's state as `convtop runs --json` reports it.
    func state(_ folder: String) -> String? {
        let name = URL(fileURLWithPath: folder).lastPathComponent
        let listed = convtop([
            "runs", "--runs-dir", URL(fileURLWithPath: folder).deletingLastPathComponent().path, "--json",
        ])
        for line in listed.output.split(separator: "\n") {
            guard let fields = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                fields["name"] as? String == name
            else { continue }
            return fields["state"] as? String
        }
        return nil
    }

    /// Polls `convtop runs` until the run shows `state`.
    func waitForState(_ folder: String, _ state: String, timeout: Double = 30) throws {
        var last: String?
        try Self.waitUntil("the run to be \(state) (it is \(last ?? "not listed"))", timeout: timeout) {
            last = self.state(folder)
            return last == state
        }
    }

    /// The events of the run's journal.
    func journal(_ folder: String) -> [TrainingEvent] {
        ((try? MetricsJournal.read(URL(fileURLWithPath: folder + "/metrics.jsonl"))) ?? []).map(\.event)
    }

    /// Polls the run's journal until an event satisfies `condition`, and returns that event.
    @discardableResult
    func waitForEvent(
        _ folder: String, _ what: String, timeout: Double = 30, where condition: (TrainingEvent) -> Bool
    ) throws -> TrainingEvent {
        var found: TrainingEvent?
        try Self.waitUntil(what, timeout: timeout) {
            found = journal(folder).last(where: condition)
            return found != nil
        }
        return found!
    }

    /// A connection to the run's socket, live (its history received).
    func connect(_ folder: String) throws -> RunConnection {
        let connection = try RunConnection(socketPath: folder + "/control.sock")
        try #require(connection.waitUntilLive(timeout: 10), "the run at \(folder) did not send its history")
        return connection
    }

    /// Kills the trainer of a detached run with SIGKILL and waits until it is gone. Its launcher
    /// has exited, so the system's first process reaps it; until then it is a zombie whose pid
    /// still answers `kill(pid, 0)`, as if the run's writer were alive.
    func killTrainer(_ pid: Int32) throws {
        kill(pid, SIGKILL)
        try Self.waitUntil("process \(pid) to be reaped after SIGKILL", timeout: 10) { kill(pid, 0) != 0 }
    }

    /// Kills every detached run this sandbox started that still lives, and removes the folder.
    func end() {
        for folder in detached { if let pid = pid(folder), kill(pid, 0) == 0 { try? killTrainer(pid) } }
        try? FileManager.default.removeItem(at: root)
    }

    private var detached: [String] = []

    /// The `convtop` built with this test bundle (both live in the same build folder).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("convtop").path
    }

    static var canRun: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    static func waitUntil(_ what: @autoclosure () -> String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while try !condition() {
            guard Date() < deadline else {
                throw Timeout(description: "timed out after \(timeout) s waiting for \(what())")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }
}

extension RunConnection {
    /// Reads events until one satisfies `condition`, and returns it.
    @discardableResult
    func waitForEvent(_ what: String, timeout: Double = 30, where condition: (TrainingEvent) -> Bool) throws
        -> TrainingEvent
    {
        var found: TrainingEvent?
        try ImageFolderSandbox.waitUntil(what, timeout: timeout) {
            found = events(waitingAtMost: 1).first(where: condition)
            return found != nil
        }
        return found!
    }
}
