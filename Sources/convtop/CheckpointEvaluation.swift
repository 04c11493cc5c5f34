import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation

extension TrainingCheckpoint {
    /// The checkpoint's model evaluated on `dataset`: on its test images; a dataset without them on
    /// its own validation folder (an image folder's val/), else on the validation split the run held
    /// out. Returns the evaluation, how many images it covers and the model's name; throws when the
    /// checkpoint does not fit the data or there is nothing to evaluate on.
    func evaluate(on dataset: Dataset, threads: Int) throws -> (evaluation: Evaluation, images: Int, model: String) {
        try check(fits: dataset)
        let split: Split, images: ImageSet
        if dataset.test.count > 0 {
            (split, images) = (.test, dataset.test)
        } else if dataset.validation.count > 0 {
            (split, images) = (.validation, dataset.validation)
        } else if configuration.validationSplit > 0 {
            let held = try dataset.holdingOutValidation(configuration.validationSplit)
            (split, images) = (.validation, held.validation)
        } else {
            throw UsageError("\(dataset.folder): no test images, and the run held out no validation split")
        }
        let model = try makeModel(pool: ThreadPool(threads: threads))
        let evaluator = Evaluator(
            averagesMirrorImages: configuration.testFlips == true,
            averagesShiftedImages: configuration.testShifts == true)
        let evaluation = evaluator.evaluate(
            model, on: images, normalization: normalization, split: split, epoch: position.epochNumber, step: step)
        return (evaluation, images.count, model.name)
    }
}
