import ArgumentParser
import ConvEngine
import Foundation

/// `convtop bench`: throughput figures as JSON lines, for `make bench` to set beside PyTorch's.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure GEMM GFLOP/s and training and inference images/s; one JSON object per line.",
        discussion: """
            Every figure is the median of five timed rounds after a warm-up round. The machine's other \
            load shows in the numbers, so compare figures taken back to back (make bench does).
            """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Thread counts to measure (default: 1 and all cores).")
    var threads: [Int] = []

    @Option(name: .long, help: "Seconds spent on each figure.")
    var seconds: Double = 1

    @Flag(name: .long, help: "Skip the GEMM figures.")
    var noGemm = false

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
        guard threads.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads must be at least 1") }
    }

    /// `--threads`, or 1 and the core count.
    var threadCounts: [Int] {
        if !threads.isEmpty { return threads }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return cores > 1 ? [1, cores] : [1]
    }

    func run() throws {
        for count in threadCounts {
            let pool = ThreadPool(threads: count)
            if !noGemm {
                for shape in GEMMBenchmark.representative {
                    emit(shape.measure(pool: pool, seconds: seconds))
                }
            }
        }
    }

    private func emit(_ record: BenchmarkRecord) {
        // Unbuffered, so `make bench` shows each figure as soon as it is measured.
        FileHandle.standardOutput.write(Data((record.json + "\n").utf8))
    }
}
