import ConvEngine
import Foundation
import Testing

/// `mpirun -np 2 convtop train` against one process on the same global batches: the ranks split
/// each batch in halves, the engine sums every batch's halves apart before adding them
/// (`BatchSummation`), and the gradient allreduce adds the two halves' sums, so both runs must
/// end with the same bits.
@Suite(.enabled(if: DataParallelRun.canRun, "needs mpirun and the release convtop binary"), .serialized)
struct DataParallelTests {
    /// 2 ranks x 64 rows against 1 process x 128 for an epoch (47 and 50 steps).
    @Test(arguments: EquivalentRun.allCases)
    func twoRanksEndWithTheBitsOfOneProcess(_ run: EquivalentRun) throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = try run.arguments(writingDataUnder: folder)
        let single = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/one", arguments))
        #expect(!single.contains("ranks"), "a plain run must not mention ranks:\n\(single)")
        let parallel = try DataParallelRun.run(
            DataParallelRun.twoRanks + DataParallelRun.train(into: folder + "/two", arguments))
        #expect(parallel.contains("x 2 ranks"), "the header must show the world size:\n\(parallel)")
        #expect(parallel.contains("allreduce"), "step lines must show the allreduce time:\n\(parallel)")

        // The losses agree but for the last bits of the two ranks' Float shares of the mean.
        let early = try DataParallelRun.earlyLosses(folder + "/one", folder + "/two", through: 12)
        #expect(early.first?.step == 1, "steps journalled by both runs: \(early)")
        for step in early {
            #expect(abs(step.one - step.two) <= 1e-6, "step \(step.step): loss \(step.one) against \(step.two)")
        }
        // Parameters, batch-norm statistics and optimizer state.
        let largest = try DataParallelRun.largestDifference(folder + "/one", folder + "/two")
        #expect(largest.difference == 0, "largest difference \(largest.difference) in \(largest.name)")
        let one = try DataParallelRun.lastTestAccuracy(folder + "/one"),
            two = try DataParallelRun.lastTestAccuracy(folder + "/two")
        #expect(one == two, "test accuracy \(one) in one process, \(two) over two ranks")
    }

    /// One process for epoch 1, two ranks for epoch 2, one process for epoch 3: the same parameters
    /// as one process for all three, and each resume starts at the step the previous run saved.
    @Test func aRunResumesWithAnotherNumberOfRanks() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 10 steps an epoch.
        let epochs = ["--data", DataParallelRun.subset, "--model", "lenet", "--epochs", "3", "--val-split", "4720"]
        _ = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/straight", epochs, untilEpoch: 3))
        _ = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(into: folder + "/mixed", epochs, untilEpoch: 1))
        let second = try DataParallelRun.run(
            DataParallelRun.twoRanks + DataParallelRun.train(resuming: folder + "/mixed", untilEpoch: 2))
        #expect(second.contains("at step 10") && second.contains("x 2 ranks"), "\(second)")
        let third = try DataParallelRun.run(
            [DataParallelRun.binary] + DataParallelRun.train(resuming: folder + "/mixed", untilEpoch: 3))
        #expect(third.contains("at step 20") && !third.contains("ranks"), "\(third)")
        let largest = try DataParallelRun.largestDifference(folder + "/straight", folder + "/mixed")
        #expect(largest.difference == 0, "largest difference \(largest.difference) in \(largest.name)")
    }

    /// A rank stopped with SIGSTOP leaves rank 0 waiting in the allreduce: the watchdog must end the
    /// job with one line saying so, and the checkpoint saved before must still load.
    @Test func aRankThatHangsEndsTheRunWithAMessageAndTheCheckpointIntact() throws {
        let folder = DataParallelRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = folder + "/mpirun.log"
        let process = try DataParallelRun.start(
            DataParallelRun.twoRanks.dropFirst()
                + DataParallelRun.train(
                    into: folder + "/run",
                    [
                        "--data", DataParallelRun.subset, "--model", "lenet", "--epochs", "50", "--save-every", "1",
                        "--mpi-timeout", "3",
                    ],
                    untilEpoch: 50),
            log: log)
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

/// A model for the equivalence test, on its data.
enum EquivalentRun: String, CaseIterable, Sendable {
    /// 47 steps (an epoch of the shipped subset).
    case lenet
    /// 50 steps (an epoch of the half-size subset) with synchronized batch norm.
    case convnet5SyncBN

    /// The run's arguments; its data, when not the shipped subset, is written under `folder`.
    func arguments(writingDataUnder folder: String) throws -> [String] {
        switch self {
        case .lenet: return ["--data", DataParallelRun.subset, "--model", "lenet"]
        case .convnet5SyncBN:
            let data = folder + "/half-size"
            try DataParallelRun.writeHalfSizeSubset(into: data)
            return ["--data", data, "--model", "convnet5", "--sync-bn"]
        }
    }
}

/// Short runs on the shipped Fashion-MNIST subset, one engine thread per process.
enum DataParallelRun {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let subset = repository.appendingPathComponent("Assets/fashion-mnist-subset").path

    /// The shipped subset at 14x14 (each 2x2 block averaged), a quarter of the work per image, with
    /// 400 test images moved to training for 50 steps of 128: 6,400 training and 600 test images.
    static func writeHalfSizeSubset(into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let train = try halfSize(images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte")
        let test = try halfSize(images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte")
        let moved = 400, size = 14 * 14
        try writeIDX(
            folder, "train", images: train.images + test.images[..<(moved * size)],
            labels: train.labels + test.labels[..<moved])
        try writeIDX(
            folder, "t10k", images: Array(test.images[(moved * size)...]), labels: Array(test.labels[moved...]))
    }

    /// One split of the shipped subset with every 28x28 image averaged down to 14x14.
    private static func halfSize(images: String, labels: String) throws -> (images: [UInt8], labels: [UInt8]) {
        let pixels = try gunzip(subset + "/" + images + ".gz").dropFirst(16)
        let count = pixels.count / (28 * 28)
        var small = [UInt8](repeating: 0, count: count * 14 * 14)
        pixels.withUnsafeBufferPointer { big in
            for i in 0..<count {
                for y in 0..<14 {
                    for x in 0..<14 {
                        let corner = i * 784 + 2 * y * 28 + 2 * x
                        let sum = [0, 1, 28, 29].reduce(2) { $0 + Int(big[corner + $1]) }
                        small[i * 196 + y * 14 + x] = UInt8(sum / 4)
                    }
                }
            }
        }
        return (small, Array(try gunzip(subset + "/" + labels + ".gz").dropFirst(8)))
    }

    private static func gunzip(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RunFailure(description: "gzip -dc \(path) failed") }
        return Array(data)
    }

    /// `prefix`-images-idx3-ubyte (n x 14 x 14) and `prefix`-labels-idx1-ubyte, uncompressed.
    private static func writeIDX(_ folder: String, _ prefix: String, images: [UInt8], labels: [UInt8]) throws {
        func header(_ values: [UInt32]) -> [UInt8] {
            values.flatMap { v in (0..<4).map { UInt8(v >> (24 - 8 * $0) & 255) } }
        }
        let n = UInt32(labels.count)
        try Data(header([0x803, n, 14, 14]) + images).write(
            to: URL(fileURLWithPath: "\(folder)/\(prefix)-images-idx3-ubyte"))
        try Data(header([0x801, n]) + labels).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-labels-idx1-ubyte"))
    }

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
            "train", "--run-dir", folder, "--batch-size", "128",
            "--until-epoch", String(untilEpoch), "--threads", "1", "--headless",
        ] + arguments
    }

    static func train(resuming folder: String, untilEpoch: Int) -> [String] {
        [
            "train", "--data", subset, "--resume", folder, "--until-epoch", String(untilEpoch), "--threads", "1",
            "--headless",
        ]
    }

    /// The largest difference between the f32 tensors of two runs' checkpoints (parameters,
    /// batch-norm statistics, optimizer state), and where it is.
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

    /// The smoothed losses of the steps up to `through` that both runs' journals hold (the journal
    /// keeps a step line at most every half second).
    static func earlyLosses(_ a: String, _ b: String, through last: Int) throws -> [(
        step: Int, one: Double, two: Double
    )] {
        func losses(_ folder: String) throws -> [Int: Double] {
            var found: [Int: Double] = [:]
            for record in try journal(folder) where record["type"] as? String == "step" {
                if let step = record["step"] as? Int, step <= last, let loss = record["loss"] as? Double {
                    found[step] = loss
                }
            }
            return found
        }
        let one = try losses(a), two = try losses(b)
        return one.sorted { $0.key < $1.key }.compactMap { step, loss in two[step].map { (step, loss, $0) } }
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

    /// The processes that train in `folder` (the ranks of a run, which all get its --run-dir), `mpirun`
    /// and dashboards attached to the run left out.
    static func processes(runningIn folder: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.contains(folder), arguments.contains("train"), let program = arguments.first,
                !program.hasSuffix("mpirun")
            else {
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

    /// Starts `mpirun` with `arguments` in the background, its output going to the file `log`.
    static func start(_ arguments: ArraySlice<String>, log: String) throws -> Process {
        try FileManager.default.createDirectory(
            atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw RunFailure(description: "cannot create \(log)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = Array(arguments)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        return process
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
