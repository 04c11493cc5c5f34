import ConvEngine
import Foundation
import Testing

/// `mpirun -np 2 convtop train` against one process on the same global batches: the ranks split
/// each batch and average their gradients, so both runs must end with the same parameters, up to
/// the order in which the gradient sums are added.
@Suite(.enabled(if: DataParallelRun.canRun, "needs mpirun and the release convtop binary"))
struct DataParallelTests {
    /// Largest parameter difference allowed after an epoch (47 steps). Each step's gradient is
    /// summed in another order over two shards (float rounding near 1e-7 relative), and SGD with
    /// momentum carries those differences on: 2026-12 measured 5.7e-6 on this machine.
    static let tolerance: Float = 1e-4

    @Test func twoRanksEndWithTheParametersOfOneProcess() throws {
        let folder = NSTemporaryDirectory() + "convtop-mpi-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let single = try DataParallelRun.run([DataParallelRun.binary] + DataParallelRun.train(into: folder + "/one"))
        #expect(!single.contains("ranks"), "a plain run must not mention ranks:\n\(single)")
        let parallel = try DataParallelRun.run(
            [DataParallelRun.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2", DataParallelRun.binary]
                + DataParallelRun.train(into: folder + "/two"))
        #expect(parallel.contains("x 2 ranks"), "the header must show the world size:\n\(parallel)")
        #expect(parallel.contains("allreduce"), "step lines must show the allreduce time:\n\(parallel)")

        let one = try SafeTensors(contentsOfFile: folder + "/one/checkpoint.safetensors").tensors
        let two = try SafeTensors(contentsOfFile: folder + "/two/checkpoint.safetensors").tensors
        #expect(one.keys.sorted() == two.keys.sorted())
        let weights = one.keys.filter { one[$0]?.dtype == .f32 }.sorted()
        #expect(weights.contains("conv1.weight"))
        var largest: (name: String, difference: Float) = ("", 0)
        for name in weights {
            let a = try #require(one[name]?.float32Values()), b = try #require(two[name]?.float32Values())
            try #require(a.count == b.count, "\(name): \(a.count) values against \(b.count)")
            for (x, y) in zip(a, b) where abs(x - y) > largest.difference || !(x - y).isFinite {
                largest = (name, abs(x - y))
            }
        }
        #expect(largest.difference <= Self.tolerance, "largest difference \(largest.difference) in \(largest.name)")
    }
}

/// A short LeNet run on the shipped Fashion-MNIST subset, one engine thread per process.
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

    static func train(into folder: String) -> [String] {
        [
            "train", "--data", subset, "--run-dir", folder, "--model", "lenet", "--batch-size", "128",
            "--until-epoch", "1", "--threads", "1", "--headless",
        ]
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
