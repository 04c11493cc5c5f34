import ArgumentParser
import ConvProtocol
import ConvTraining
import Foundation
import TmuxHarness

/// `soak`: trains a detached run on an image folder (through the decode cache) while dashboards
/// attach, detach, get killed and resized, every key is pressed and one-shot commands steer the
/// run; then reports crashes, the trainer's memory growth, key-to-acknowledgement times and
/// whether every intervention reached `metrics.jsonl` exactly once. `make soak` runs it; it exits
/// 1 when a check fails.
@main
struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Steer a detached convtop run from attached dashboards and commands, and report what broke.",
        discussion: """
            Trains with a constant learning rate (so every change is the driver's). The decode cache is \
            <output>/image-cache (CONVTOP_CACHE_DIR), kept between soaks, so a second soak reads it. More \
            arguments for `convtop train` go after --.
            """
    )

    @Option(help: "Minutes of driving, the warm-up included, counted from the first evaluation.")
    var minutes: Double = 30

    @Option(
        help: ArgumentHelp(
            "Minutes of driving before the trainer's resident memory is first taken (every feature allocates "
                + "its buffers once: undo snapshots, range tests, saliency maps, three viewers at once)."))
    var warmUp: Double = 5

    @Option(help: "The convtop executable (a release build).")
    var convtop = ".build/release/convtop"

    @Option(help: "Folder that receives the soak's folder and the decode cache.")
    var output = ".build/soak"

    @Option(help: "The image folder to train on (default: the shared datasets beside the checkout).")
    var data = Self.repository.appendingPathComponent("../shared/datasets/image-folders/cifar10-mini")
        .standardizedFileURL.path

    @Option(help: "Model preset to train (LeNet finishes an epoch, and evaluates, every few seconds).")
    var model = "lenet"

    @Option(help: "Epochs to ask for: more than the soak can finish, so training never ends on its own.")
    var epochs = 100_000

    @Option(help: "Batches of the range test (key r).")
    var lrFindSteps = 30

    @Option(help: "Seed of the driver's choices (default: random, printed in the report).")
    var seed: UInt64?

    @Argument(help: "More arguments for `convtop train`.")
    var trainArguments: [String] = []

    /// The checkout this file is in: Tests/Soak/SoakCommand.swift.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func validate() throws {
        if minutes <= 0 { throw ValidationError("--minutes must be positive, got \(minutes)") }
        if !(warmUp >= 0 && warmUp < minutes) {
            throw ValidationError("--warm-up must be at least 0 and less than --minutes, got \(warmUp)")
        }
        guard FileManager.default.isExecutableFile(atPath: convtop) else {
            throw ValidationError("\(convtop): not an executable; build it with `swift build -c release`")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(data): no such image folder; give one with --data")
        }
        guard TmuxSession.isAvailable else { throw ValidationError("tmux cannot be run here") }
    }

    func run() throws {
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let stamp = Self.timestamp()
        let outputFolder = URL(fileURLWithPath: output).standardizedFileURL
        let soakFolder = outputFolder.appendingPathComponent(stamp)
        let runFolder = RunFolder(url: soakFolder.appendingPathComponent("run"))
        let cacheFolder = outputFolder.appendingPathComponent("image-cache")
        try FileManager.default.createDirectory(at: soakFolder, withIntermediateDirectories: true)
        // Inherited by the trainer and every command the soak runs.
        setenv("CONVTOP_CACHE_DIR", cacheFolder.path, 1)
        let executable = URL(fileURLWithPath: convtop).standardizedFileURL.path
        let command =
            [
                executable, "train", "--detach", "--run-dir", runFolder.url.path, "--data", data, "--model", model,
                "--epochs", String(epochs), "--schedule", "constant", "--lr", "0.01",
                "--lr-find-steps", String(lrFindSteps),
            ] + trainArguments
        Self.say("soak: \(command.joined(separator: " "))")
        Self.say("soak: \(String(format: "%g", minutes)) min, seed \(seed), folder \(soakFolder.path)")

        var report = SoakReport(
            command: command, runFolder: runFolder.url.path, minutes: minutes, seed: seed, startedAt: stamp,
            loadAverages: [Self.loadAverage()])
        let cacheBefore = Self.files(in: cacheFolder)
        let started = try Subprocess.run(command, timeout: 900)
        Self.say("soak: " + started.output.trimmingCharacters(in: .whitespacesAndNewlines))
        guard started.status == 0, let pid = Self.pid(in: started.output) else {
            throw SoakError("convtop train --detach exited \(started.status.map(String.init) ?? "late")")
        }
        report.trainerPID = pid
        defer { if kill(pid, 0) == 0 { kill(pid, SIGKILL) } }
        let cacheAfter = Self.files(in: cacheFolder)
        report.decodeCache = SoakReport.DecodeCache(
            folder: cacheFolder.path, filesBefore: cacheBefore.map(\.description),
            filesAfter: cacheAfter.map(\.description),
            hit: !cacheBefore.isEmpty && cacheBefore.allSatisfy { cacheAfter.contains($0) },
            detachSeconds: started.seconds)

        let (summary, state) = try Self.awaitFirstEvaluation(runFolder, trainer: pid)
        let driver = SoakDriver(
            convtop: executable, runFolder: runFolder, classNames: summary.classNames, run: state, seed: seed,
            log: soakFolder.appendingPathComponent("soak-keys.log"))
        var memory: [[Double]] = []
        var alive = true
        var nextSample = 0.0, nextLoad = 60.0
        let tick = {
            guard kill(pid, 0) == 0, let kib = ResidentMemory.kibibytes(of: pid) else {
                alive = false
                return false
            }
            if driver.now >= nextSample {
                memory.append([driver.now, Double(kib)])
                nextSample = driver.now + 5
            }
            if driver.now >= nextLoad {
                report.loadAverages.append(Self.loadAverage())
                nextLoad += 60
            }
            return true
        }
        driver.run(for: warmUp * 60, tick: tick)
        let warmUpEnd = driver.now
        if alive { driver.run(for: minutes * 60 - warmUpEnd, tick: tick) }
        if alive, let kib = ResidentMemory.kibibytes(of: pid) { memory.append([driver.now, Double(kib)]) }
        report.trainerAlive = alive
        driver.finish()
        report.trainerEnd = Self.awaitEnd(runFolder, trainer: pid)
        report.loadAverages.append(Self.loadAverage())
        if FileManager.default.fileExists(atPath: runFolder.checkpointFile.path) {
            report.checkpoint = runFolder.checkpointFile.path
        }
        // Resident memory swings by ten megabytes as evaluations and viewers' buffers come and go (a
        // minute's median depends on how many viewers were attached in it), so growth is that of the
        // floor, each minute's least, from the minute after the warm-up to the last one; the medians
        // are reported beside it.
        let measured = memory.filter { $0[0] >= warmUpEnd }
        if let first = measured.first, let last = measured.last {
            let firstMinute = measured.filter { $0[0] < first[0] + 60 }.map { $0[1] }
            let lastMinute = measured.filter { $0[0] > last[0] - 60 }.map { $0[1] }
            let floorStart = firstMinute.min()!, floorEnd = lastMinute.min()!
            report.memory = SoakReport.Memory(
                startKiB: Int(Self.median(firstMinute)), endKiB: Int(Self.median(lastMinute)),
                floorStartKiB: Int(floorStart), floorEndKiB: Int(floorEnd),
                peakKiB: Int(measured.map { $0[1] }.max() ?? 0),
                growthPercent: (floorEnd - floorStart) / floorStart * 100, warmUpSeconds: warmUpEnd, samples: memory)
        }
        record(driver, runFolder: runFolder, into: &report)
        report.judge()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: soakFolder.appendingPathComponent("soak.json"))
        Self.say(report.summary)
        Self.say("soak: report in \(soakFolder.appendingPathComponent("soak.json").path)")
        if !report.failures.isEmpty { throw ExitCode.failure }
    }

    /// Waits for the run's first evaluation, so that the soak starts from a steady run, and returns
    /// its summary and the journal followed from there.
    private static func awaitFirstEvaluation(_ folder: RunFolder, trainer: Int32) throws -> (RunSummary, RunState) {
        let deadline = Date(timeIntervalSinceNow: 900)
        let started = try awaitStart(folder, trainer: trainer, deadline: deadline)
        var state = try RunState(journal: folder.metricsFile, learningRate: started.learningRate)
        guard state.await("evaluation", after: 0, timeout: deadline.timeIntervalSinceNow) else {
            throw SoakError("\(folder.metricsFile.path): no evaluation within 15 minutes")
        }
        return (started, state)
    }

    /// The run's summary, once the trainer journalled its start.
    private static func awaitStart(_ folder: RunFolder, trainer: Int32, deadline: Date) throws -> RunSummary {
        while true {
            for record in (try? MetricsJournal.read(folder.metricsFile)) ?? [] {
                if case .started(let summary) = record.event { return summary }
            }
            guard Date() < deadline, kill(trainer, 0) == 0 else {
                throw SoakError("\(folder.metricsFile.path): the run never started (see \(folder.logFile.path))")
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// How the run ended after the driver stopped it, waiting for the trainer to exit.
    private static func awaitEnd(_ folder: RunFolder, trainer: Int32) -> String {
        let deadline = Date(timeIntervalSinceNow: 300)
        while kill(trainer, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let records = (try? MetricsJournal.read(folder.metricsFile)) ?? []
        for record in records.reversed() {
            if case .finished = record.event { return kill(trainer, 0) == 0 ? "finished but running" : "finished" }
            if case .failed(let error) = record.event { return "failed: \(error)" }
        }
        return kill(trainer, 0) == 0 ? "still running" : "gone without a finished record"
    }

    /// The driver's counts, and what the journal says about them.
    private func record(_ driver: SoakDriver, runFolder: RunFolder, into report: inout SoakReport) {
        let times = driver.times
        report.viewersOpened = driver.viewersOpened
        report.closes = driver.closes
        report.viewerCrashes = driver.viewerCrashes
        report.oneShots = driver.oneShots
        report.oneShotFailures = driver.oneShotFailures
        report.keysPressed = driver.keysPressed
        report.resizes = driver.resizes
        report.slowestResponse = times.slowest
        report.medianResponseSeconds = times.median
        report.slowestUIResponse = times.slowest(on: .ui)
        report.slowestSessionResponse = times.slowest(on: .session)
        report.responses = times.summaries
        report.missedResponses = times.missed
        report.savesRequested = driver.savesRequested
        report.evaluationsRequested = driver.evaluationsRequested
        let journal = (try? MetricsJournal.read(runFolder.metricsFile)) ?? []
        report.interventions = Intervention.reconcile(sent: driver.sent, journal: journal)
        // Stopping (and --save-every) saves too, so there are at least as many checkpoints as `s` presses.
        report.checkpointsSaved = journal.filter { if case .checkpointSaved = $0.event { true } else { false } }.count
        report.evaluations = journal.filter { if case .evaluation = $0.event { true } else { false } }.count
        report.epochsCompleted = journal.filter { if case .epochCompleted = $0.event { true } else { false } }.count
    }

    private static func median(_ values: [Double]) -> Double {
        ResponseTimes.quantile(values.sorted(), 0.5)
    }

    /// The trainer's pid, from "… (pid N); watch it with …".
    private static func pid(in output: String) -> Int32? {
        guard let range = output.range(of: "(pid ") else { return nil }
        return Int32(output[range.upperBound...].prefix { $0.isNumber })
    }

    /// A file of the decode cache: its name, size and modification time.
    struct CacheFile: Equatable, CustomStringConvertible {
        var name: String
        var bytes: Int
        var modified: Date

        var description: String { "\(name) \(bytes) bytes" }
    }

    private static func files(in folder: URL) -> [CacheFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            guard let bytes = attributes?[.size] as? Int, let modified = attributes?[.modificationDate] as? Date
            else { return nil }
            return CacheFile(name: name, bytes: bytes, modified: modified)
        }
    }

    /// Writes a line to standard output at once (`print` buffers when the output is a file or a pipe).
    private static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
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
        return text.split(separator: " ").first.map(String.init) ?? "?"
    }
}

/// Something that stops the soak before it can judge the product (a missing file, a run that never
/// started), with a message naming it.
struct SoakError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
