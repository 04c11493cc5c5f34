import ArgumentParser
import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation

/// `convtop eval CHECKPOINT`: how good a saved model is.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: loss, accuracy, per-class accuracy and the confusion matrix.",
        discussion: """
            Evaluates on the dataset's test images; a dataset without them is evaluated on its own \
            validation folder (an image folder's val/), else on the validation split the run held out \
            (such as from the CIFAR-10 training batches alone). The data \
            defaults to the folder the checkpoint was trained on, or its dataset by name when that \
            folder has moved.
            """
    )

    @Argument(
        help: ArgumentHelp("A checkpoint file, or a run folder (its newest good checkpoint).", valueName: "checkpoint"))
    var checkpoint: String

    @OptionGroup var bestCheckpoint: BestCheckpointFlag

    @OptionGroup var data: DataOptions

    @Option(help: "Engine threads (default: every core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let (checkpoint, file) = try bestCheckpoint.load(checkpoint)
        let dataset = try data.load(trainedOn: checkpoint)
        let (evaluation, count, modelName) = try checkpoint.evaluate(
            on: dataset, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        var lines = [
            "checkpoint: \(file) (\(modelName), step \(checkpoint.step))",
            "data: \(dataset.folder), \(count) \(evaluation.split) images",
        ]
        lines += HeadlessReporter.evaluationLines(evaluation, classNames: dataset.classNames)
        lines.append("confusion matrix:")
        lines += HeadlessReporter.confusionLines(evaluation.confusion, classNames: dataset.classNames)
        print(lines.joined(separator: "\n"))
    }
}
