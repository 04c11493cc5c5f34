import ConvData
import Foundation
import Testing

@Suite struct DataPipelineTests {
    @Test func buildsTheSplitDatasetAndItsLoadersFromOptions() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 4, testCount: 3)
        let pipeline = try DataPipeline.load(
            data: temp.path, datasetName: nil, validationCount: 5,
            batchSize: 8, seed: 3)
        #expect(pipeline.dataset.train.count == 15)
        #expect(pipeline.dataset.validation.count == 5)
        #expect(pipeline.normalization == Normalization(ChannelStatistics(measuring: pipeline.dataset.train)))
        #expect(pipeline.augmentation == Augmentation(cropPadding: 4, horizontalFlip: true))

        let training = pipeline.training
        #expect(training.shuffle)
        #expect(training.batchesPerEpoch == 2)
        #expect(training.augmentation == pipeline.augmentation)

        let validation = pipeline.evaluation(pipeline.dataset.validation)
        #expect(!validation.shuffle)
        #expect(validation.augmentation.isIdentity)
        var batch = validation.makeBatch()
        validation.load(BatchPosition(epoch: 0, batch: 0), into: &batch)
        #expect(batch.sourceIndices == [0, 1, 2, 3, 4])
        #expect(batch.labels == [5, 6, 7, 8, 9])
    }

    @Test func explicitNormalisationAndAugmentationAreHonoured() throws {
        let temp = try TemporaryFolder()
        let folder = try temp.folder("mnist")
        try DatasetFiles.writeIDX(to: folder, trainLabels: [1, 2, 3], testLabels: [4], height: 28, width: 28)
        let tutorial = try DataPipeline.load(
            data: folder.path, datasetName: nil, augment: "standard",
            normalize: "0.5,0.5", batchSize: 2, seed: 1)
        #expect(tutorial.normalization == Normalization(mean: [0.5], standardDeviation: [0.5]))
        #expect(tutorial.augmentation == Augmentation(cropPadding: 3, horizontalFlip: false))
        let plain = try DataPipeline.load(data: folder.path, datasetName: nil, augment: "none", batchSize: 2, seed: 1)
        #expect(plain.augmentation.isIdentity)
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url)
        let cases: [(String, () throws -> DataPipeline)] = [
            (
                "--augment",
                { try DataPipeline.load(data: temp.path, datasetName: nil, augment: "rotate", batchSize: 2, seed: 1) }
            ),
            (
                "--labels",
                { try DataPipeline.load(data: temp.path, datasetName: nil, labels: "medium", batchSize: 2, seed: 1) }
            ),
            (
                "--val-split",
                { try DataPipeline.load(data: temp.path, datasetName: nil, validationCount: 20, batchSize: 2, seed: 1) }
            ),
            (
                "--normalize",
                { try DataPipeline.load(data: temp.path, datasetName: nil, normalize: "0.5", batchSize: 2, seed: 1) }
            ),
            ("--batch-size", { try DataPipeline.load(data: temp.path, datasetName: nil, batchSize: 0, seed: 1) }),
        ]
        for (option, build) in cases {
            let error = #expect(throws: DataError.self) { _ = try build() }
            #expect(error?.description.hasPrefix(option) == true)
        }
    }
}
