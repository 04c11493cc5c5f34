import ConvData
import ConvEngine
import ConvTraining
import Foundation
import Testing

/// Where a checkpoint finds its run's data again: the folder it records, or its dataset's name.
@Suite struct TrainingCheckpointTests {
    private func checkpoint(dataset: String, folder: String?, in directory: URL) throws -> TrainingCheckpoint {
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 0, pool: ThreadPool(threads: 1))
        let configuration = TrainingSessionTests.configuration()
        let file = directory.appendingPathComponent("checkpoint.safetensors").path
        try TrainingCheckpoint(
            model: model, optimizer: SGD(parameters: model.namedParameters, learningRate: 0.01),
            configuration: configuration, datasetName: dataset, datasetFolder: folder,
            classNames: ["top", "middle", "lower"], normalization: Normalization(mean: [0.5], standardDeviation: [0.5]),
            step: 0, position: BatchPosition(epoch: 0, batch: 0), learningRateScale: 1
        ).write(to: file)
        return try TrainingCheckpoint.read(from: file)
    }

    /// A locator that looks for named datasets in `root` only.
    private func locator(_ root: URL) -> DatasetLocator {
        DatasetLocator(
            environment: ["CONVTOP_DATA": root.path], homeDirectory: root.path, currentDirectory: root.path,
            systemDatasets: root.path, shippedSubset: nil)
    }

    @Test func theFolderIsRecordedAndFoundWhileItIsThere() throws {
        let directory = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let photos = directory.appendingPathComponent("my photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        let saved = try checkpoint(dataset: "my photos", folder: photos.path, in: directory)
        #expect(saved.datasetFolder == photos.path)
        #expect(try saved.datasetLocation(locator: locator(directory)).path == photos.path)
    }

    /// An image folder has no name to look it up by: its absence is one line naming it.
    @Test func aMissingImageFolderIsNamed() throws {
        let directory = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let gone = directory.appendingPathComponent("moved-away").path
        let saved = try checkpoint(dataset: "moved-away", folder: gone, in: directory)
        let error = #expect(throws: CheckpointError.self) { try saved.datasetLocation(locator: locator(directory)) }
        #expect(
            error?.description
                == "\(directory.path)/checkpoint.safetensors: trained on \(gone), which is no longer there; give --data PATH"
        )
    }

    /// A named dataset whose folder moved is looked up by name, as before folders were recorded.
    @Test func aNamedDatasetThatMovedIsFoundByName() throws {
        let directory = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fetched = directory.appendingPathComponent("cifar10")
        try FileManager.default.createDirectory(at: fetched, withIntermediateDirectories: true)
        let moved = try checkpoint(dataset: "cifar10", folder: "/nonexistent/cifar-10-batches-bin", in: directory)
        #expect(try moved.datasetLocation(locator: locator(directory)).path == fetched.path)
        let unrecorded = try checkpoint(dataset: "cifar10", folder: nil, in: directory)
        #expect(unrecorded.datasetFolder == nil)
        #expect(try unrecorded.datasetLocation(locator: locator(directory)).path == fetched.path)
    }

    @Test func anUnnamedDatasetWithoutARecordedFolderAsksForData() throws {
        let directory = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let saved = try checkpoint(dataset: "photos", folder: nil, in: directory)
        let error = #expect(throws: CheckpointError.self) { try saved.datasetLocation(locator: locator(directory)) }
        #expect(error?.description.contains("trained on photos, a folder it does not record") == true)
        #expect(error?.description.hasSuffix("give --data PATH") == true)
    }
}
