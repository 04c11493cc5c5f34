import ArgumentParser
import ConvEngine
import Foundation

extension ModelChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }

    /// Help lists the presets; any other value is a network file's path.
    public static var allValueStrings: [String] { ModelPreset.allValueStrings }
    public static var allValueDescriptions: [String: String] { ModelPreset.allValueDescriptions }
}

/// `convtop model`: what a network costs before it trains.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Show a network: its layers, parameters and cost, or its network file.",
        subcommands: [Summary.self, Show.self]
    )

    /// `convtop model summary MODEL`.
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A table of the network's layers: output shape, parameters, multiply-adds, convolution algorithm.",
            discussion: """
                MODEL is a preset name or a network file. Memory figures are float32 at the batch \
                size: the input, every stored layer output with its gradient, and the parameters. \
                With --time, each layer's forward and backward pass is measured on random images \
                (a block is timed as one layer; a ReLU or max pool run inside its batch norm is timed there).
                """
        )

        @Argument(
            help: ArgumentHelp(
                "A preset (\(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))) or a network file.",
                valueName: "model"))
        var model: ModelChoice

        @Option(help: ArgumentHelp("Image shape as CxHxW.", valueName: "shape"))
        var input: InputShapeArgument = InputShapeArgument(ModelBenchmark.cifarInput)

        @Option(help: "Number of classes.")
        var classes: Int = 10

        @Option(help: "Batch size for the memory figures and the timing.")
        var batch: Int = 128

        @Flag(help: "Measure each layer's forward and backward time.")
        var time = false

        @Option(help: "Engine threads for --time (default: every core).")
        var threads: Int?

        @Option(help: "Seconds to spend measuring with --time.")
        var seconds: Double = 2

        func validate() throws {
            guard classes >= 1 else { throw ValidationError("--classes must be at least 1, got \(classes)") }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
            guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
        }

        func run() throws {
            let shape = input.shape
            let network = try model.load().resolve(
                inputShape: [shape.channels, shape.height, shape.width], classes: classes)
            let summary = NetworkSummary(network)
            var times: [NetworkSummary.LayerTime]?
            if time {
                let pool = ThreadPool(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
                let built = Model(network: network, seed: 0, pool: pool)
                let (images, labels) = ModelBenchmark.syntheticBatch(batch, shape: shape, classes: classes)
                times = ModelBenchmark.layerTimes(of: built, input: images, labels: labels, seconds: seconds)
            }
            print(summary.lines(batch: batch, times: times).joined(separator: "\n"))
        }
    }

    /// `convtop model show MODEL`: the network file, to copy and edit.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a network file (a preset's, to start your own from).")

        @Argument(help: ArgumentHelp("A preset or a network file.", valueName: "model"))
        var model: ModelChoice

        func run() throws {
            print(try model.load().text, terminator: "")
        }
    }
}
