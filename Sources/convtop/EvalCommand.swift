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
            defaults to the dataset the checkpoint was trained on.
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
        let dataset = try data.load(fallback: checkpoint.datasetName, imageShape: checkpoint.imageShape)
        try checkpoint.check(fits: dataset)
        let split: Split, images: ImageSet
        if dataset.test.count > 0 {
            (split, images) = (.test, dataset.test)
        } else if dataset.validation.count > 0 {
            (split, images) = (.validation, dataset.validation)
        } else if checkpoint.configuration.validationSplit > 0 {
            let held = try dataset.holdingOutValidation(checkpoint.configuration.validationSplit)
            (split, images) = (.validation, held.validation)
        } else {
            throw UsageError("\(dataset.folder): no test images, and the run held out no validation split")
        }
        let pool = ThreadPool(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let model = Model(network: try checkpoint.checkpoint.network(), seed: 0, pool: pool)
        try checkpoint.restore(into: model)

        let evaluator = Evaluator(averagesMirrorImages: checkpoint.configuration.testFlips == true)
        let evaluation = evaluator.evaluate(
            model, on: images, normalization: checkpoint.normalization, split: split,
            epoch: checkpoint.position.epochNumber, step: checkpoint.step)
        var lines = [
            "checkpoint: \(file) (\(model.name), step \(checkpoint.step))",
            "data: \(dataset.folder), \(images.count) \(split) images",
        ]
        lines += HeadlessReporter.evaluationLines(evaluation, classNames: dataset.classNames)
        lines.append("confusion matrix:")
        lines += HeadlessReporter.confusionLines(evaluation.confusion, classNames: dataset.classNames)
        print(lines.joined(separator: "\n"))
    }
}
