import ConvEngine
import Foundation
import Testing

/// `mpirun -np 2 convtop train` against one process on the same global batches: the ranks split
/// each batch and average their gradients, so both runs must end with the same parameters, up to
/// the order in which the gradient sums are added.
@Suite(.enabled(if: DataParallelRun.canRun, "needs mpirun and the release convtop binary"), .serialized)
struct DataParallelTests {
    /// 2 ranks x 64 rows against 1 process x 128 for the 47 steps of an epoch of the shipped subset.
    @Test(arguments: EquivalentRun.allCases)
    func twoRanksEndWithTheParametersOfOneProcess(_ run: EquivalentRun) throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let single = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/one", run.arguments))
        #expect(!single.contains("ranks"), "a plain run must not mention ranks:\n\(single)")
        let parallel = try DataParallelRun.run(
            DataParallelRun.twoRanks + DataParallelRun.train(into: folder + "/two", run.arguments))
        #expect(parallel.contains("x 2 ranks"), "the header must show the world size:\n\(parallel)")
        #expect(parallel.contains("allreduce"), "step lines must show the allreduce time:\n\(parallel)")

        let largest = try DataParallelRun.largestDifference(folder + "/one", folder + "/two")
        #expect(largest.difference <= run.tolerance, "largest difference \(largest.difference) in \(largest.name)")
        // The evaluation is split over the ranks and added up: on the same weights it is the same.
        let one = try DataParallelRun.lastTestAccuracy(folder + "/one"),
            two = try DataParallelRun.lastTestAccuracy(folder + "/two")
        #expect(abs(one - two) <= 0.001, "test accuracy \(one) in one process, \(two) over two ranks")
    }

    /// One process for epoch 1, two ranks for epoch 2, one process for epoch 3: the same parameters
    /// as one process for all three, and each resume starts at the step the previous run saved.
    @Test func aRunResumesWithAnotherNumberOfRanks() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let epochs = ["--model", "lenet", "--epochs", "3"]
        _ = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/straight", epochs, untilEpoch: 3))
        _ = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/mixed", epochs, untilEpoch: 1))
        let second = try DataParallelRun.run(
            DataParallelRun.twoRanks + DataParallelRun.train(resuming: folder + "/mixed", untilEpoch: 2))
        #expect(second.contains("at step 47") && second.contains("x 2 ranks"), "\(second)")
        let third = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(resuming: folder + "/mixed", untilEpoch: 3))
        #expect(third.contains("at step 94") && !third.contains("ranks"), "\(third)")
        let largest = try DataParallelRun.largestDifference(folder + "/straight", folder + "/mixed")
        #expect(
            largest.difference <= EquivalentRun.lenet.tolerance,
            "largest difference \(largest.difference) in \(largest.name)")
    }

    /// A rank stopped with SIGSTOP leaves rank 0 waiting in the allreduce: the watchdog must end the
    /// job with one line saying so, and the checkpoint saved before must still load.
    @Test func aRankThatHangsEndsTheRunWithAMessageAndTheCheckpointIntact() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = folder + "/mpirun.log"
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DataParallelRun.mpirun)
        process.arguments =
            Array(DataParallelRun.twoRanks.dropFirst())
            + DataParallelRun.train(
                into: folder + "/run",
                ["--model", "lenet", "--epochs", "50", "--save-every", "1", "--mpi-timeout", "3"], untilEpoch: 50)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        var stopped: [Int32] = []
        defer {
            for pid in stopped { kill(pid, SIGKILL) }
            if process.isRunning { process.terminate() }
        }
        let checkpoint = folder + "/run/checkpoint.safetensors"
        try DataParallelRun.waitUntil("a checkpoint", timeout: 60) {
            FileManager.default.fileExists(atPath: checkpoint)
        }
        let ranks = DataParallelRun.processes(runningIn: folder + "/run")
        try #require(ranks.count == 2, "ranks found: \(ranks)")
        let leader = try #require(
            Int32(
                try String(contentsOfFile: folder + "/run/convtop.pid", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        stopped = ranks.filter { $0 != leader }
        for pid in stopped { kill(pid, SIGSTOP) }
        try DataParallelRun.waitUntil("the job to end", timeout: 60) { !process.isRunning }
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(process.terminationStatus != 0)
        #expect(
            output.contains("convtop: rank 0: MPI_") && output.contains("a rank has hung or died")
                && output.contains("the last checkpoint is intact"), "\(output)")
        let tensors = try SafeTensors(contentsOfFile: checkpoint).tensors
        #expect(tensors["conv1.weight"] != nil)
    }
}

/// A model for the equivalence test, with the largest parameter difference it allows.
enum EquivalentRun: String, CaseIterable, Sendable {
    case lenet

    var arguments: [String] {
        switch self {
        case .lenet: ["--model", "lenet"]
        }
    }

    /// Each step's gradient is summed in another order over two shards (float rounding near 1e-7
    /// relative), and SGD with momentum carries those differences on. 2026-12, on this machine:
    /// lenet 5.7e-6.
    var tolerance: Float {
        switch self {
        case .lenet: 1e-4
        }
    }
}

/// Short runs on the shipped Fashion-MNIST subset, one engine thread per process.
enum DataParallelRun {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let subset = repository.appendingPathComponent("Assets/fashion-mnist-subset").path

    /// The `convtop` built with this test bundle (both live in the same build folder).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("convtop").path
    }

    static var mpirun: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "mpirun"
    }

    static var canRun: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.isExecutableFile(atPath: mpirun)
    }

    /// `convtop` under `mpirun` on two ranks of this machine.
    static var twoRanks: [String] { [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2", binary] }

    static func temporaryFolder() -> String { NSTemporaryDirectory() + "convtop-mpi-\(UUID().uuidString)" }

    static func train(into folder: String, _ arguments: [String] = [], untilEpoch: Int = 1) -> [String] {
        [
            "train", "--data", subset, "--run-dir", folder, "--batch-size", "128",
            "--until-epoch", String(untilEpoch), "--threads", "1", "--headless",
        ] + arguments
    }

    static func train(resuming folder: String, untilEpoch: Int) -> [String] {
        [
            "train", "--data", subset, "--resume", folder, "--until-epoch", String(untilEpoch), "--threads", "1",
            "--headless",
        ]
    }

    /// The largest difference between the f32 tensors of two runs' checkpoints, and where it is.
    static func largestDifference(_ a: String, _ b: String) throws -> (name: String, difference: Float) {
        let one = try SafeTensors(contentsOfFile: a + "/checkpoint.safetensors").tensors
        let two = try SafeTensors(contentsOfFile: b + "/checkpoint.safetensors").tensors
        #expect(one.keys.sorted() == two.keys.sorted())
        let weights = one.keys.filter { one[$0]?.dtype == .f32 }.sorted()
        #expect(weights.contains("conv1.weight"))
        var largest: (name: String, difference: Float) = ("", 0)
        for name in weights {
            let x = try #require(one[name]?.float32Values()), y = try #require(two[name]?.float32Values())
            try #require(x.count == y.count, "\(name): \(x.count) values against \(y.count)")
            for (p, q) in zip(x, y) where abs(p - q) > largest.difference || !(p - q).isFinite {
                largest = (name, abs(p - q))
            }
        }
        return largest
    }

    /// The accuracy of the last test evaluation in a run's journal.
    static func lastTestAccuracy(_ folder: String) throws -> Double {
        let records = try journal(folder)
        let last = try #require(
            records.last { $0["type"] as? String == "evaluation" && $0["split"] as? String == "test" })
        return try #require(last["accuracy"] as? Double)
    }

    /// The records of a run's `metrics.jsonl`, as JSON objects.
    static func journal(_ folder: String) throws -> [[String: Any]] {
        try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The processes whose command line names `folder` (the ranks of a run, which all get its --run-dir),
    /// `mpirun` itself left out.
    static func processes(runningIn folder: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.contains(folder), let program = arguments.first, !program.hasSuffix("mpirun") else {
                return nil
            }
            return pid
        }
    }

    /// CPU seconds (user and system) that `pid` has used so far.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return 0 }
        // After the command name in parentheses: state is field 3, utime and stime fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                throw RunFailure(description: "timed out after \(timeout) s waiting for \(what)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Runs `arguments` to the end and returns its output; a failure is an error with that output.
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RunFailure(
                description: "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus):\n\(output)")
        }
        return output
    }

    struct RunFailure: Error, CustomStringConvertible {
        var description: String
    }
}
