import Foundation
import Testing
import TmuxHarness

/// The real `convtop` binary with its dashboard, driven in tmux on real Fashion-MNIST.
///
/// Needs tmux, the release binary next to this test bundle (`make test` builds it first) and
/// Fashion-MNIST in /usr/share/datasets/fashion-mnist (`make test` installs both).
@Suite(.enabled(if: FashionRun.canRun, "needs tmux, Fashion-MNIST and the release convtop binary"), .serialized)
struct DashboardViewerTests {
    typealias Run = FashionRun

    @Test func everyPanelAndKeyWorksOnARealRun() throws {
        try Run.inDashboard { session, folder in
            var screen = try session.screen()
            for panel in ["Loss", "Accuracy", "Per-class accuracy", "Sample predictions", "fashion-mnist", "lenet"] {
                #expect(Run.shows(panel, screen), "no \(panel) on:\n\(screen.joined(separator: "\n"))")
            }
            #expect(Run.shows("pause", screen) && Run.shows("confusion", screen), "no footer")

            screen = try Run.evaluate(in: session)
            for name in ["T-shirt/top", "Trouser", "Sneaker", "Ankle boot"] {
                #expect(Run.shows(name, screen), "no class \(name) on:\n\(screen.joined(separator: "\n"))")
            }

            try session.send("p")
            screen = try session.wait(for: "PAUSED")
            let pausedAt = try #require(Run.step(on: screen))
            Thread.sleep(forTimeInterval: 1)
            screen = try session.screen()
            #expect(Run.step(on: screen) == pausedAt, "the step counter moved while paused")
            try session.send("p")
            try session.wait(for: "RUNNING")

            let rate = try #require(Run.learningRate(on: try session.screen()))
            try session.send("+")
            try session.wait(for: "the learning rate doubled") { s in
                Run.learningRate(on: s).map { abs($0 - 2 * rate) < 1e-9 } ?? false
            }

            // A range test pauses, sweeps and shows its suggestion; esc keeps the rate and resumes.
            try session.send("r")
            screen = try session.wait(for: "the range test's suggestion", timeout: 60) {
                Run.shows("(fastai valley)", $0)
            }
            #expect(Run.shows("LR range test", screen) && Run.shows("enter apply", screen))
            try session.send("Escape")
            try session.wait(for: "RUNNING after the range test") {
                Run.shows("RUNNING", $0) && Run.shows("Accuracy", $0)
            }
            // Undo takes the doubling back: the rate is the one before it.
            try session.send("u")
            screen = try session.wait(for: "the doubling undone") { s in
                Run.learningRate(on: s).map { abs($0 - rate) < 1e-9 } ?? false
            }
            #expect(Run.shows("undone: back to step", screen))
            // A second range test, applied with enter: the rate becomes the suggestion it journalled.
            try session.send("r")
            let journalPath = folder + "/metrics.jsonl"
            let finished = #""type":"lr_find_finished""#
            let sweeps = try Run.waitForLog(journalPath, timeout: 60) {
                $0.components(separatedBy: finished).count == 3
            }
            let record = try #require(sweeps.split(separator: "\n").last { $0.contains(finished) })
            let suggestion = try #require(
                try JSONDecoder().decode(JournalRates.self, from: Data(record.utf8)).suggestion)
            try session.wait(for: "the second suggestion") { Run.shows("(fastai valley)", $0) }
            try session.send("Enter")
            // The status line rounds the rate to one digit; the journal has it whole.
            try Run.waitForLog(journalPath, timeout: 30) { text in
                text.split(separator: "\n").contains { line in
                    line.contains(#""type":"lr_changed""#)
                        && (try? JSONDecoder().decode(JournalRates.self, from: Data(line.utf8)))?.lr == suggestion
                }
            }
            try session.wait(for: "the suggestion applied") { s in
                Run.shows("RUNNING", s) && Run.learningRate(on: s).map { abs($0 - rate) > 1e-9 } ?? false
            }
            try session.send("u")
            try session.wait(for: "the suggestion undone") { s in
                Run.learningRate(on: s).map { abs($0 - rate) < 1e-9 } ?? false
            }
            // L takes a typed rate (one digit, as the status line shows it).
            try session.send("L")
            try session.type("0.004")
            try session.send("Enter")
            try session.wait(for: "the typed rate") { s in
                Run.learningRate(on: s).map { abs($0 - 0.004) < 1e-12 } ?? false
            }

            try session.send("m")
            screen = try session.wait(for: "Misclassified test images")
            #expect(Run.shows("true:", screen) && Run.shows("predicted:", screen))
            try session.send("Escape")
            try session.wait(for: "Per-class accuracy")
            try session.send("c")
            screen = try session.wait(for: "Confusion matrix")
            #expect(Run.shows("Ankle", screen))
            try session.send("Escape")
            try session.wait(for: "Per-class accuracy")

            try session.resize(width: 80, height: 24)
            try session.wait(for: "an 80x24 dashboard") { $0.count == 24 && Run.shows("Per-class accuracy", $0) }
            try session.resize(width: 60, height: 20)
            try session.wait(for: "Terminal too small")
            try session.resize(width: 100, height: 30)
            try session.wait(for: "Per-class accuracy")

            try session.send("q")
            try session.wait(for: "[y/N]")
            try session.send("y")
            #expect(try session.waitForExit(timeout: 30) == 0)
            #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
            let journal = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
            for type in ["paused", "resumed", "lr_changed", "evaluation", "finished", "lr_find_finished", "undone"] {
                #expect(journal.contains("\"type\":\"\(type)\""), "metrics.jsonl has no \(type) record")
            }
        }
    }

    /// The rates this test reads from journal records: a range test's suggestion, a changed rate.
    struct JournalRates: Decodable {
        var suggestion: Double?
        var lr: Double?
    }

    @Test func ctrlCSavesRestoresTheTerminalAndExitsZero() throws {
        try Run.inDashboard { session, folder in
            try session.send("C-c")
            #expect(try session.waitForExit(timeout: 30) == 0)
            let screen = try session.screen()
            #expect(Run.shows("checkpoint: \(folder)", screen), "no summary on:\n\(screen.joined(separator: "\n"))")
            #expect(!Run.shows("RUNNING", screen) && !Run.shows("Per-class accuracy", screen))
            #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
        }
    }

    @Test func aHangUpSavesAndTrainingGoesOnHeadlessIntoTheLog() throws {
        let folder = try Run.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pidFile = folder + "/pid"
        let command =
            "echo $$ > '\(pidFile)'; exec " + Run.train(runDirectory: folder).map { "'\($0)'" }.joined(separator: " ")
        let session = try TmuxSession(
            ["/bin/sh", "-c", command], width: 100, height: 30,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8"])
        try session.wait(for: "RUNNING", timeout: 30)
        let pid = try #require(
            Int32(
                try String(contentsOfFile: pidFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        session.kill()

        let log = folder + "/output.log"
        let saved = try Run.waitForLog(log, timeout: 30) { $0.contains("checkpoint saved at step") }
        let afterHangUp = try #require(saved.components(separatedBy: "terminal went away (SIGHUP)").last)
        #expect(kill(pid, 0) == 0, "the run died with its terminal")
        try Run.waitForLog(log, timeout: 30) { text in
            text.components(separatedBy: "checkpoint saved at step").last?.contains("step ") == true
        }
        #expect(!afterHangUp.contains("\u{1B}["), "curses wrote escape sequences into the log")

        kill(pid, SIGTERM)
        let finished = try Run.waitForLog(log, timeout: 30) { $0.contains("checkpoint: ") }
        #expect(finished.contains("finished: "))
        #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
    }
}

/// A short real run: LeNet on Fashion-MNIST, in the dashboard of the `convtop` built with these tests.
enum FashionRun {
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// The `convtop` built with this test bundle (both live in the same build folder).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("convtop").path
    }

    static var canRun: Bool {
        TmuxSession.isAvailable && FileManager.default.isExecutableFile(atPath: binary)
            && FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz")
    }

    /// A LeNet run with a constant learning rate, so the rate shown changes only when a key changes it,
    /// and more epochs than a test lasts on a quiet machine (three took 11 s), so every run ends by a key
    /// or a signal.
    static func train(runDirectory: String) -> [String] {
        [
            binary, "train", "--data", fashionMNIST, "--run-dir", runDirectory, "--model", "lenet",
            "--optimizer", "sgd", "--lr", "0.01", "--schedule", "constant", "--warmup", "0", "--epochs", "50",
            "--batch-size", "64", "--augment", "none",
        ]
    }

    /// A fresh, empty folder for one run.
    static func runDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "convtop-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The step counter of the status line ("step 1,234/2,811").
    static func step(on screen: [String]) -> Int? {
        for line in screen {
            guard let range = line.range(of: #"step [0-9,]+/"#, options: .regularExpression) else { continue }
            return Int(line[range].dropFirst(5).dropLast().replacingOccurrences(of: ",", with: ""))
        }
        return nil
    }

    /// The learning rate of the status line ("lr 0.01").
    static func learningRate(on screen: [String]) -> Double? {
        for line in screen {
            guard let range = line.range(of: #"lr [0-9.e+-]+"#, options: .regularExpression) else { continue }
            return Double(line[range].dropFirst(3))
        }
        return nil
    }

    static func shows(_ text: String, _ screen: [String]) -> Bool { screen.contains { $0.contains(text) } }

    /// Polls a log file until `condition` holds for its text and returns that text.
    @discardableResult
    static func waitForLog(_ path: String, timeout: Double, until condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if condition(text) { return text }
            if Date() >= deadline {
                throw LogTimeout(description: "timed out after \(timeout) s waiting for \(path); it holds:\n\(text)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// A colour terminal in a UTF-8 locale, where the dashboard draws its braille and markers.
    static let unicode = ["TERM": "xterm-256color", "LANG": "C.UTF-8"]

    /// Kills the run in `folder` if it still runs (its pid file goes when it ends).
    static func killTrainer(of folder: String) {
        guard let text = try? String(contentsOfFile: folder + "/convtop.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        kill(pid, SIGKILL)
    }

    /// Starts a run in a fresh folder, in its dashboard in a 100x30 tmux session, and once it is
    /// running hands the session and the folder to `body`; then ends the run and removes the folder.
    static func inDashboard(_ body: (TmuxSession, String) throws -> Void) throws {
        let folder = try runDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = try TmuxSession(train(runDirectory: folder), width: 100, height: 30, environment: unicode)
        defer { session.kill() }
        // Closing the session hangs up the run, which then trains on headless: a failed test ends it.
        defer { killTrainer(of: folder) }
        try session.wait(for: "RUNNING", timeout: 30)
        try body(session, folder)
    }

    /// Asks for an evaluation and waits until its sample predictions show.
    @discardableResult
    static func evaluate(in session: TmuxSession) throws -> [String] {
        try session.send("e")
        return try session.wait(for: "the first evaluation", timeout: 30) { shows("Sample predictions (epoch", $0) }
    }
}

/// A log file that did not say what a test waited for, with what it did say.
struct LogTimeout: Error, CustomStringConvertible {
    var description: String
}
