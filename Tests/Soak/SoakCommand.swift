import ArgumentParser
import ConvProtocol
import ConvTraining
import Foundation
import TmuxHarness

/// `soak`: runs the real dashboard in tmux for a while under random keys and window sizes, then
/// reports crashes, memory growth, the slowest key-to-screen response and whether every
/// intervention reached `metrics.jsonl`. `make soak` runs it; it exits 1 when a check fails.
@main
struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Drive the convtop dashboard with random keys and resizes, and report what broke.",
        discussion: """
            Trains with a constant learning rate (so every change on screen is the driver's) on the \
            default dataset unless arguments after -- say otherwise, e.g. -- --data PATH.
            """
    )

    @Option(help: "Minutes of random keys, counted from the first evaluation.")
    var minutes: Double = 30

    @Option(help: "The convtop executable (a release build).")
    var convtop = ".build/release/convtop"

    @Option(help: "Folder that receives the run folder.")
    var output = ".build/soak"

    @Option(help: "Model preset to train (LeNet finishes an epoch, and evaluates, every few seconds).")
    var model = "lenet"

    @Option(help: "Epochs to ask for: more than the soak can finish, so training never ends on its own.")
    var epochs = 1000

    @Option(help: "Seed of the key sequence (default: random, printed in the report).")
    var seed: UInt64?

    @Argument(help: "More arguments for `convtop train`.")
    var trainArguments: [String] = []

    func validate() throws {
        if minutes <= 0 { throw ValidationError("--minutes must be positive, got \(minutes)") }
        guard FileManager.default.isExecutableFile(atPath: convtop) else {
            throw ValidationError("\(convtop): not an executable; build it with `swift build -c release`")
        }
        guard TmuxSession.isAvailable else { throw ValidationError("tmux cannot be run here") }
    }

    func run() throws {
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let stamp = Self.timestamp()
        let runFolder = RunFolder(url: URL(fileURLWithPath: output).appendingPathComponent(stamp).standardizedFileURL)
        try FileManager.default.createDirectory(at: runFolder.url, withIntermediateDirectories: true)
        let executable = URL(fileURLWithPath: convtop).standardizedFileURL.path
        let command =
            [
                executable, "train", "--run-dir", runFolder.url.path, "--model", model,
                "--epochs", String(epochs), "--schedule", "constant", "--lr", "0.01",
            ] + trainArguments
        print("soak: \(command.joined(separator: " "))")
        print("soak: \(String(format: "%g", minutes)) min of keys, seed \(seed), run folder \(runFolder.url.path)")

        var report = SoakReport(
            command: command, runFolder: runFolder.url.path, minutes: minutes, seed: seed, startedAt: stamp,
            loadAverageBefore: Self.loadAverage(), loadAverageAfter: "", crashes: 0, exitCode: nil, checkpoint: nil,
            memory: nil, keysPressed: 0, resizes: 0, responses: [], missedResponses: [], interventions: nil,
            savesRequested: 0, checkpointsSaved: 0, evaluationsRequested: 0, evaluations: 0, epochsCompleted: 0,
            failures: [])
        let session = try TmuxSession(command, width: 100, height: 30)
        defer { session.kill() }
        let driver = try start(session, runFolder: runFolder, seed: seed)
        var memory: [[Double]] = []
        if let driver {
            let process = ResidentMemory.process(
                executable: URL(fileURLWithPath: executable).lastPathComponent,
                argument: runFolder.url.path)
            if let pid = process, let kib = ResidentMemory.kibibytes(of: pid) {
                memory.append([driver.now, Double(kib)])
                var nextSample = driver.now + 5
                driver.run(for: minutes * 60) {
                    guard let kib = ResidentMemory.kibibytes(of: pid) else { return false }
                    if driver.now >= nextSample {
                        memory.append([driver.now, Double(kib)])
                        nextSample = driver.now + 5
                    }
                    return true
                }
                if let kib = ResidentMemory.kibibytes(of: pid) {
                    memory.append([driver.now, Double(kib)])
                    driver.finish()
                } else {
                    report.crashes = 1
                    report.lastScreen = try? session.screen()
                }
            } else {
                print("soak: cannot find the convtop process of \(runFolder.url.path)")
                report.lastScreen = try? session.screen()
            }
        }
        report.exitCode = try? session.waitForExit(timeout: 300)
        if report.exitCode.map({ $0 != 0 }) ?? true, report.lastScreen == nil {
            report.lastScreen = try? session.screen()
        }
        report.loadAverageAfter = Self.loadAverage()
        if FileManager.default.fileExists(atPath: runFolder.checkpointFile.path) {
            report.checkpoint = runFolder.checkpointFile.path
        }
        if let first = memory.first, let last = memory.last {
            report.memory = SoakReport.Memory(
                startKiB: Int(first[1]), endKiB: Int(last[1]), peakKiB: Int(memory.map { $0[1] }.max() ?? 0),
                growthPercent: (last[1] - first[1]) / first[1] * 100, samples: memory)
        }
        if let driver { record(driver, runFolder: runFolder, into: &report) }
        report.judge()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: runFolder.url.appendingPathComponent("soak.json"))
        print(report.summary)
        print("soak: report in \(runFolder.url.appendingPathComponent("soak.json").path)")
        if !report.failures.isEmpty { throw ExitCode.failure }
    }

    /// Waits for the run to start and for its first evaluation; `nil` when it never got there
    /// (the screen then shows why).
    private func start(_ session: TmuxSession, runFolder: RunFolder, seed: UInt64) throws -> SoakDriver? {
        do {
            try session.wait(for: " RUNNING ", timeout: 600)
        } catch {
            print("soak: the run did not start: \(error)")
            return nil
        }
        let records = try MetricsJournal.read(runFolder.metricsFile)
        guard
            let summary = records.lazy.compactMap({ record -> RunSummary? in
                if case .started(let summary) = record.event { return summary }
                return nil
            }).first
        else {
            print("soak: \(runFolder.metricsFile.path) has no started record")
            return nil
        }
        let driver = SoakDriver(
            session: session, journalURL: runFolder.metricsFile, classNames: summary.classNames,
            learningRate: summary.learningRate, size: (100, 30), seed: seed,
            log: runFolder.url.appendingPathComponent("soak-keys.log"))
        do {
            try driver.awaitFirstEvaluation(timeout: 600)
        } catch {
            print("soak: no first evaluation: \(error)")
            return nil
        }
        return driver
    }

    /// The driver's counts, and what the journal says about them.
    private func record(_ driver: SoakDriver, runFolder: RunFolder, into report: inout SoakReport) {
        let times = driver.times
        report.keysPressed = driver.keysPressed
        report.resizes = driver.resizes
        report.slowestResponse = times.slowest
        report.slowestUIResponse = times.slowest(on: .ui)
        report.slowestSessionResponse = times.slowest(on: .session)
        report.responses = times.summaries
        report.missedResponses = times.missed
        report.savesRequested = driver.savesRequested
        report.evaluationsRequested = driver.evaluationsRequested
        let journal = (try? MetricsJournal.read(runFolder.metricsFile)) ?? []
        report.interventions = Intervention.reconcile(logged: driver.interventions, journal: journal)
        // Quitting (and --save-every) saves too, so there are at least as many checkpoints as `s` presses.
        report.checkpointsSaved = journal.filter { if case .checkpointSaved = $0.event { true } else { false } }.count
        report.evaluations = journal.filter { if case .evaluation = $0.event { true } else { false } }.count
        report.epochsCompleted = journal.filter { if case .epochCompleted = $0.event { true } else { false } }.count
    }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }

    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
