import ArgumentParser
import ConvData
import ConvEngine
import Foundation

/// `--input`: channels, height and width written as CxHxW.
struct InputShapeArgument: ExpressibleByArgument {
    let shape: ModelBenchmark.InputShape

    init(_ shape: ModelBenchmark.InputShape) { self.shape = shape }

    init?(argument: String) {
        let sizes = argument.split(separator: "x").compactMap { Int($0) }
        guard sizes.count == 3, sizes.allSatisfy({ $0 >= 1 }) else { return nil }
        shape = (sizes[0], sizes[1], sizes[2])
    }

    var defaultValueDescription: String { "\(shape.channels)x\(shape.height)x\(shape.width)" }
}

/// `convtop bench`: throughput figures as JSON lines, for `make bench` to set beside PyTorch's.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure GEMM GFLOP/s, training and inference images/s, and the loader; one JSON object per line.",
        discussion: """
            For each thread count: GEMM GFLOP/s for the presets' typical shapes, then for each preset \
            and batch size training images/s (forward, cross-entropy, backward, SGD step) and \
            inference images/s on 3x32x32 inputs (`--input` for others). Last, the images/s the \
            background loader prepares from the default dataset. Every figure is the median of five timed rounds after a warm-up \
            round. Other load on the machine shows in the numbers: compare figures taken back to back \
            (make bench does). `--only layers` (not in the default) prints where a training step's \
            time goes instead: microseconds per batch in each layer's forward and backward pass, and the \
            algorithm each convolution runs (`implicit-gemm`, `winograd`, ...).
            """
    )

    /// The groups of figures `--only` can select.
    enum Part: String, CaseIterable, ExpressibleByArgument {
        case gemm, models, loader, layers
    }

    @Option(name: .long, parsing: .upToNextOption, help: "Presets to measure (default: all).")
    var preset: [ModelPreset] = ModelPreset.allCases

    @Option(name: .long, parsing: .upToNextOption, help: "Batch sizes to measure (default: 4 32 128).")
    var batch: [Int] = ModelBenchmark.batches

    @Option(name: .long, parsing: .upToNextOption, help: "Thread counts to measure (default: 1 and all cores).")
    var threads: [Int] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Image shape for the models and layers figures, as CxHxW "
                + "(1x28x28 for Fashion-MNIST).", valueName: "shape"))
    var input: InputShapeArgument = InputShapeArgument(ModelBenchmark.cifarInput)

    @Option(name: .long, help: "Seconds spent on each figure.")
    var seconds: Double = 1

    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Only these groups of figures: gemm, models, loader (the default), layers.")
    var only: [Part] = [.gemm, .models, .loader]

    @Option(name: .long, help: "Number format of the GEMM, convolution and linear products.")
    var precision: Precision = .fp32

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
        guard threads.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads must be at least 1") }
        guard batch.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--batch must be at least 1") }
    }

    /// `--threads`, or 1 and the core count.
    var threadCounts: [Int] {
        if !threads.isEmpty { return threads }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return cores > 1 ? [1, cores] : [1]
    }

    func run() throws {
        if let reason = precision.unavailableReason {
            FileHandle.standardError.write(Data("convtop bench: \(reason)\n".utf8))
        }
        for count in threadCounts {
            let pool = ThreadPool(threads: count)
            if only.contains(.gemm) {
                for shape in GEMMBenchmark.representative {
                    emit(shape.measure(pool: pool, seconds: seconds, precision: precision))
                }
            }
            if only.contains(.models) {
                for preset in preset {
                    for batch in batch {
                        ModelBenchmark(preset: preset, batch: batch, input: input.shape, precision: precision)
                            .measure(pool: pool, seconds: seconds).forEach(emit)
                    }
                }
            }
            if only.contains(.layers) {
                for preset in preset {
                    for batch in batch {
                        ModelBenchmark(preset: preset, batch: batch, input: input.shape, precision: precision)
                            .layerTimes(pool: pool, seconds: seconds).forEach(emit)
                    }
                }
            }
        }
        if only.contains(.loader) { measureLoader() }
    }

    /// The prefetching loader on the default dataset (one background thread, batch 128); skipped
    /// with a note when no dataset is found.
    private func measureLoader() {
        let batchSize = 128
        do {
            let dataset = try Dataset.load(from: try DataCommand.folder(nil))
            let rate = LoaderBenchmark.imagesPerSecond(dataset: dataset, batchSize: batchSize, seconds: seconds)
            emit(
                BenchmarkRecord([
                    ("kind", .string("loader")), ("dataset", .string(dataset.name)), ("batch", .int(batchSize)),
                    ("images_per_second", .number(rate)),
                ]))
        } catch {
            FileHandle.standardError.write(Data("convtop bench: loader figure skipped: \(error)\n".utf8))
        }
    }

    private func emit(_ record: BenchmarkRecord) {
        // Unbuffered, so `make bench` shows each figure as soon as it is measured.
        FileHandle.standardOutput.write(Data((record.json + "\n").utf8))
    }
}
