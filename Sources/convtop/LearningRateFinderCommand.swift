import ArgumentParser
import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// `convtop lr-find`: the dashboard's range test (key r) before training, headless: trains the
/// sweep on the run's first batches from its starting state, prints the loss by learning rate as
/// a text chart and the suggested rate, and keeps nothing.
struct LearningRateFinderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Run a learning-rate range test before training and print the loss by learning rate.",
        discussion: """
            Takes every option of `convtop train` (model, data, optimizer, batch size, --resume, ...) and \
            trains --lr-find-steps batches while the learning rate rises exponentially from 1e-7 to 10, \
            stopping once the smoothed loss passes 4x its minimum. Prints the smoothed loss against the \
            learning rate and the suggested rate (fastai's valley; Lightning's steepest descent beside it). \
            Nothing is written: train afterwards with --lr set to the rate you choose.

            Example:
              convtop lr-find --model resnet9 --data /path/to/cifar-10-batches-bin --batch-size 256
            """
    )

    @OptionGroup var training: TrainCommand

    @Option(help: ArgumentHelp("Width of the chart in columns.", valueName: "columns"))
    var width = 80

    @Option(help: ArgumentHelp("Height of the chart in rows.", valueName: "rows"))
    var height = 20

    func validate() throws {
        guard width >= 40, height >= 8 else {
            throw ValidationError("the chart needs at least 40 columns and 8 rows, got \(width)x\(height)")
        }
    }

    func run() throws {
        if let model = training.model { _ = try model.load() }
        let resumed = try training.resume.map { try TrainingCheckpoint.load(fileOrRunFolder: $0) }
        let (configuration, dataset, initialWeights, _) = try training.prepare(resuming: resumed)
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: dataset, runFolder: nil,
                threads: training.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                resume: resumed?.checkpoint, initialWeights: initialWeights,
                learningRateFinderSteps: training.lrFindSteps))
        // Queued before the worker starts, so the test runs before the first training step.
        session.channel.send(.findLearningRate(steps: nil))
        session.start()
        var run = RunModel()
        var reporter = HeadlessReporter()
        var ended = false
        while !ended {
            for event in session.channel.events(waitingAtMost: 1) {
                run.apply(event)
                switch event {
                case .started, .warning, .learningRateSweepStarted:
                    // The run has no folder: nothing of it is kept.
                    for line in reporter.lines(for: event) where !line.hasPrefix("run folder") { print(line) }
                case .learningRateProbed(let probe) where (probe.index + 1) % 10 == 0:
                    print(
                        "  batch \(probe.index + 1): lr \(Format.learningRate(probe.learningRate)), "
                            + "smoothed loss \(String(format: "%.4f", probe.smoothedLoss))")
                case .learningRateFound:
                    session.channel.send(.stop)
                case .finished: ended = true
                case .failed(let message):
                    FileHandle.standardError.write(Data("convtop: \(message)\n".utf8))
                    session.wait()
                    throw ExitCode.failure
                default: break
                }
            }
        }
        session.wait()
        guard let test = run.rangeTest, let finding = test.finding else { throw ExitCode.failure }
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        RangeTestView(test: test, learningRate: configuration.learningRate, theme: .monochrome)
            .render(area: buffer.area, buffer: &buffer)
        for line in buffer.lines {
            print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        print(HeadlessReporter.findingLine(finding))
    }
}
