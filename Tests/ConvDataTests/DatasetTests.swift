import ConvData
import Foundation
import Testing

@Suite struct DatasetTests {
    @Test func readsCIFAR10BinaryBatchesInOrder() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 4, testCount: 3)
        let dataset = try Dataset.load(from: temp.url)
        #expect(dataset.format == .cifar10Binary)
        #expect(dataset.name == "cifar10")
        #expect(dataset.dimensions == ImageDimensions(channels: 3, height: 32, width: 32))
        #expect(dataset.classNames.count == 10)
        #expect(dataset.classNames[6] == "frog")
        #expect(dataset.train.count == 20)
        #expect(dataset.test.count == 3)
        #expect(dataset.train.labels == (0..<20).map { Int32($0 % 10) })
        #expect(dataset.test.labels == [9, 8, 7])
        // Image 13 sits in data_batch_4: every byte of its record must have landed in order.
        #expect(Array(dataset.train.image(at: 13)) == (0..<3072).map { DatasetFiles.pixel(image: 13, offset: $0) })
        #expect(Array(dataset.test.image(at: 2)) == (0..<3072).map { DatasetFiles.pixel(image: 1002, offset: $0) })
    }

    @Test func cifar10WithoutTestBatchOrNamesFileStillLoads() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, names: false)
        try FileManager.default.removeItem(at: temp.url.appendingPathComponent("test_batch.bin"))
        let dataset = try Dataset.load(from: temp.url)
        #expect(dataset.test.count == 0)
        #expect(dataset.train.count == 20)
        #expect(dataset.classNames.first == "airplane")
        #expect(dataset.classNames.last == "truck")
    }

    @Test(arguments: [LabelGranularity.fine, .coarse])
    func readsCIFAR100FineOrCoarseLabels(granularity: LabelGranularity) throws {
        let temp = try TemporaryFolder()
        let train: [(coarse: UInt8, fine: UInt8)] = [(3, 99), (19, 0), (0, 42)]
        try DatasetFiles.writeCIFAR100(to: temp.url, train: train, test: [(7, 17)])
        let dataset = try Dataset.load(from: temp.url, labels: granularity)
        #expect(dataset.format == .cifar100Binary)
        #expect(dataset.train.count == 3)
        #expect(dataset.test.count == 1)
        if granularity == .fine {
            #expect(dataset.classNames.count == 100)
            #expect(dataset.train.labels == [99, 0, 42])
            #expect(dataset.test.labels == [17])
            #expect(dataset.classNames[42] == "fine42")
        } else {
            #expect(dataset.classNames.count == 20)
            #expect(dataset.train.labels == [3, 19, 0])
            #expect(dataset.classNames[19] == "coarse19")
        }
        #expect(Array(dataset.train.image(at: 1)) == (0..<3072).map { DatasetFiles.pixel(image: 1, offset: $0) })
    }

    @Test(arguments: [true, false])
    func readsIDXFilesGzippedOrRaw(compressed: Bool) throws {
        let temp = try TemporaryFolder()
        let folder = try temp.folder("fashion-mnist")
        try DatasetFiles.writeIDX(
            to: folder, trainLabels: [3, 1, 4, 1, 5], testLabels: [9, 2],
            height: 28, width: 28, compressed: compressed)
        let dataset = try Dataset.load(from: folder)
        #expect(dataset.format == .idx)
        #expect(dataset.name == "fashion-mnist")
        #expect(dataset.classNames[0] == "T-shirt/top")
        #expect(dataset.classNames[9] == "Ankle boot")
        #expect(dataset.dimensions == ImageDimensions(channels: 1, height: 28, width: 28))
        #expect(dataset.train.labels == [3, 1, 4, 1, 5])
        #expect(dataset.test.labels == [9, 2])
        #expect(Array(dataset.train.image(at: 4)) == (0..<784).map { DatasetFiles.pixel(image: 4, offset: $0) })
        #expect(dataset.allowsHorizontalFlip)
    }

    @Test func idxFamilyIsRecognisedFromTheFolderName() throws {
        let temp = try TemporaryFolder()
        let expectations: [(String, String, [String], Bool)] = [
            ("mnist", "mnist", (0..<10).map(String.init), false),
            ("kmnist", "kmnist", ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"], false),
        ]
        for (folderName, name, classNames, flips) in expectations {
            let folder = try temp.folder(folderName)
            try DatasetFiles.writeIDX(to: folder, trainLabels: [0, 9], testLabels: [], height: 4, width: 5)
            let dataset = try Dataset.load(from: folder)
            #expect(dataset.name == name)
            #expect(dataset.classNames == classNames)
            #expect(dataset.allowsHorizontalFlip == flips)
            #expect(dataset.dimensions == ImageDimensions(channels: 1, height: 4, width: 5))
        }
    }

    @Test func unknownIDXFolderGetsNumberedClassesUpToItsLargestLabel() throws {
        let temp = try TemporaryFolder()
        let folder = try temp.folder("letters")
        try DatasetFiles.writeIDX(to: folder, trainLabels: [0, 25, 3], testLabels: [1], height: 2, width: 2)
        let dataset = try Dataset.load(from: folder)
        #expect(dataset.name == "letters")
        #expect(dataset.classNames.count == 26)
        #expect(dataset.classNames[25] == "class 25")
    }

    @Test func loadsTheOnlySubfolderOfAnExtractedArchive() throws {
        let temp = try TemporaryFolder()
        let inner = try temp.folder("cifar-10-batches-bin")
        try DatasetFiles.writeCIFAR10(to: inner)
        let dataset = try Dataset.load(from: temp.url)
        #expect(dataset.format == .cifar10Binary)
        #expect(dataset.folder == inner.path)
    }

    @Test func validationSplitHoldsOutTheLastImages() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 4)
        let full = try Dataset.load(from: temp.url)
        let split = try full.holdingOutValidation(6)
        #expect(split.train.count == 14)
        #expect(split.validation.count == 6)
        #expect(split.validation.labels == Array(full.train.labels[14...]))
        #expect(split.validation.image(at: 0) == full.train.image(at: 14))
        #expect(split.train.image(at: 13) == full.train.image(at: 13))
        #expect(split.test.count == full.test.count)
        #expect(try full.holdingOutValidation(0).validation.count == 0)
        #expect(throws: DataError.self) { try full.holdingOutValidation(20) }
    }

    @Test func classCountsAndChannelStatisticsMatchTheBytes() throws {
        let dims = ImageDimensions(channels: 2, height: 1, width: 2)
        // Channel 0 holds 0 and 255 in every image, channel 1 holds 51 twice.
        let images = ImageSet(dimensions: dims, pixels: [0, 255, 51, 51, 0, 255, 51, 51], labels: [1, 1])
        #expect(images.classCounts(classCount: 3) == [0, 2, 0])
        let statistics = ChannelStatistics(measuring: images)
        #expect(abs(statistics.mean[0] - 0.5) < 1e-6)
        #expect(abs(statistics.standardDeviation[0] - 0.5) < 1e-6)
        #expect(abs(statistics.mean[1] - 0.2) < 1e-6)
        #expect(abs(statistics.standardDeviation[1]) < 1e-6)
    }

    /// The Debian package `dataset-fashion-mnist` (installed by `make test`).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")))
    func readsTheRealFashionMNIST() throws {
        let dataset = try Dataset.load(from: URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist"))
        #expect(dataset.name == "fashion-mnist")
        #expect(dataset.train.count == 60000)
        #expect(dataset.test.count == 10000)
        #expect(dataset.dimensions == ImageDimensions(channels: 1, height: 28, width: 28))
        #expect(dataset.train.classCounts(classCount: 10) == Array(repeating: 6000, count: 10))
        #expect(dataset.test.classCounts(classCount: 10) == Array(repeating: 1000, count: 10))
        // Published statistics of the Fashion-MNIST training images: mean 0.2860, std 0.3530.
        let statistics = ChannelStatistics(measuring: dataset.train)
        #expect(abs(statistics.mean[0] - 0.2860) < 1e-3)
        #expect(abs(statistics.standardDeviation[0] - 0.3530) < 1e-3)
    }
}
