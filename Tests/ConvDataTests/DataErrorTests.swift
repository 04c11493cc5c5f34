import ConvData
import Foundation
import Testing

/// Every kind of bad input gives one `DataError` line naming the file, never a crash.
@Suite struct DataErrorTests {
    static func loadError(_ folder: URL, labels: LabelGranularity = .fine) -> DataError? {
        #expect(throws: DataError.self) { try Dataset.load(from: folder, labels: labels) }
    }

    /// A Fashion-MNIST folder of three 2x2 training images and one test image, raw IDX.
    static func writeSmallIDX(_ temp: TemporaryFolder, compressed: Bool = false) throws -> URL {
        let folder = try temp.folder("fashion-mnist")
        try DatasetFiles.writeIDX(
            to: folder, trainLabels: [0, 1, 2], testLabels: [3], height: 2, width: 2,
            compressed: compressed)
        return folder
    }

    static func replace(_ url: URL, with bytes: [UInt8], compressed: Bool = false) throws {
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.removeItem(at: url.appendingPathExtension("gz"))
        try DatasetFiles.write(bytes, to: url, compressed: compressed)
    }

    @Test func missingCIFARBatch() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url)
        try FileManager.default.removeItem(at: temp.url.appendingPathComponent("data_batch_3.bin"))
        #expect(Self.loadError(temp.url) == .missingFile("data_batch_3.bin"))
        #expect(DataError.missingFile("data_batch_3.bin").description == "data_batch_3.bin: not found")
    }

    @Test func missingIDXLabels() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
        #expect(Self.loadError(folder) == .missingFile("t10k-labels-idx1-ubyte[.gz]"))
    }

    @Test func cifarSizeThatIsNotWholeRecords() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 4)
        let file = temp.url.appendingPathComponent("data_batch_3.bin")
        try Data(DatasetFiles.cifar10Records(labels: [1, 2, 3, 4]).dropLast()).write(to: file)
        let error = Self.loadError(temp.url)
        #expect(error == .notWholeRecords(file: "data_batch_3.bin", bytes: 4 * 3073 - 1, recordSize: 3073))
        #expect(error?.description == "data_batch_3.bin: 12291 bytes is not a multiple of 3073-byte records")
    }

    @Test func cifar100UsesItsOwnRecordSize() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR100(to: temp.url, train: [(1, 1)], test: [(1, 1)])
        try Data(repeating: 0, count: 3073).write(to: temp.url.appendingPathComponent("train.bin"))
        #expect(Self.loadError(temp.url) == .notWholeRecords(file: "train.bin", bytes: 3073, recordSize: 3074))
    }

    @Test func cifarLabelBeyondTheClasses() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 4)
        try Data(DatasetFiles.cifar10Records(labels: [1, 2, 10, 4]))
            .write(to: temp.url.appendingPathComponent("data_batch_2.bin"))
        let error = Self.loadError(temp.url)
        #expect(error == .labelOutOfRange(file: "data_batch_2.bin", index: 2, label: 10, classCount: 10))
        #expect(error?.description == "data_batch_2.bin: label 10 of record 2 is beyond the 10 classes")
    }

    @Test func cifar100CoarseLabelBeyondTwentyClasses() throws {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR100(to: temp.url, train: [(1, 50), (20, 99)], test: [(2, 3)])
        #expect(try Dataset.load(from: temp.url, labels: .fine).train.count == 2)
        #expect(
            Self.loadError(temp.url, labels: .coarse)
                == .labelOutOfRange(file: "train.bin", index: 1, label: 20, classCount: 20))
    }

    @Test func idxLabelBeyondTheClasses() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp)
        try Self.replace(
            folder.appendingPathComponent("train-labels-idx1-ubyte"),
            with: DatasetFiles.idx(dimensions: [3], data: [0, 12, 1]))
        #expect(
            Self.loadError(folder)
                == .labelOutOfRange(file: "train-labels-idx1-ubyte", index: 1, label: 12, classCount: 10))
    }

    @Test func wrongIDXMagic() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp)
        try Self.replace(
            folder.appendingPathComponent("train-images-idx3-ubyte"),
            with: DatasetFiles.idx(
                dimensions: [3, 2, 2], data: Array(repeating: 0, count: 12),
                magic: [0, 0, 0x0D, 3]))
        let error = Self.loadError(folder)
        #expect(error == .badMagic(file: "train-images-idx3-ubyte", found: 0x0D03))
        #expect(
            error?.description == "train-images-idx3-ubyte: not an unsigned-byte IDX file (magic number 0x00000d03)")
    }

    @Test func wrongIDXDimensionCount() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: true)
        try Self.replace(
            folder.appendingPathComponent("train-images-idx3-ubyte"),
            with: DatasetFiles.idx(dimensions: [3, 4], data: Array(repeating: 0, count: 12)),
            compressed: true)
        #expect(
            Self.loadError(folder)
                == .badDimensionCount(file: "train-images-idx3-ubyte.gz", expected: 3, found: 2))
    }

    @Test func differingImageAndLabelCounts() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp)
        try Self.replace(
            folder.appendingPathComponent("train-labels-idx1-ubyte"),
            with: DatasetFiles.idx(dimensions: [2], data: [0, 1]))
        let error = Self.loadError(folder)
        #expect(
            error
                == .countMismatch(
                    images: "train-images-idx3-ubyte", imageCount: 3,
                    labels: "train-labels-idx1-ubyte", labelCount: 2))
        #expect(error?.description == "train-labels-idx1-ubyte: 2 labels but train-images-idx3-ubyte holds 3 images")
    }

    @Test(arguments: [false, true])
    func idxDataShorterThanItsHeader(compressed: Bool) throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: compressed)
        try Self.replace(
            folder.appendingPathComponent("train-images-idx3-ubyte"),
            with: DatasetFiles.idx(dimensions: [3, 2, 2], data: Array(repeating: 0, count: 10)),
            compressed: compressed)
        let name = "train-images-idx3-ubyte" + (compressed ? ".gz" : "")
        #expect(Self.loadError(folder) == .truncated(file: name, expectedBytes: 12, actualBytes: 10))
    }

    @Test(arguments: [false, true])
    func idxDataLongerThanItsHeader(compressed: Bool) throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: compressed)
        try Self.replace(
            folder.appendingPathComponent("train-labels-idx1-ubyte"),
            with: DatasetFiles.idx(dimensions: [3], data: [0, 1, 2, 3, 4]), compressed: compressed)
        let name = "train-labels-idx1-ubyte" + (compressed ? ".gz" : "")
        #expect(Self.loadError(folder) == .trailingBytes(file: name, count: 2))
    }

    @Test(arguments: [false, true])
    func hostileHeaderIsRefusedBeforeAllocating(compressed: Bool) throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: compressed)
        // 4 billion images of 65535x65535 pixels: far more than any file here could hold.
        try Self.replace(
            folder.appendingPathComponent("train-images-idx3-ubyte"),
            with: DatasetFiles.idx(dimensions: [0xFFFF_FFFF, 0xFFFF, 0xFFFF], data: [1, 2, 3]),
            compressed: compressed)
        let error = Self.loadError(folder)
        #expect(error?.description.contains("need more bytes than the file can hold") == true)
    }

    @Test func corruptGzipStream() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: true)
        let url = folder.appendingPathComponent("train-images-idx3-ubyte.gz")
        var bytes = [UInt8](try Data(contentsOf: url))
        for i in 10..<(bytes.count - 8) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: url)
        guard case .corruptGzip(let file, _) = Self.loadError(folder) else {
            Issue.record("expected a corrupt gzip error")
            return
        }
        #expect(file == "train-images-idx3-ubyte.gz")
    }

    /// An empty `.gz` file once made the reader end a zlib stream it had never started (found by
    /// the idx fuzz target; its input is kept in Fuzz/corpus/idx).
    @Test func emptyGzipFile() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: true)
        try Data().write(to: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        #expect(Self.loadError(folder) == .corruptGzip(file: "train-labels-idx1-ubyte.gz", reason: "empty file"))
    }

    @Test func truncatedGzipStream() throws {
        let temp = try TemporaryFolder()
        let folder = try Self.writeSmallIDX(temp, compressed: true)
        let url = folder.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let bytes = [UInt8](try Data(contentsOf: url))
        try Data(bytes.prefix(bytes.count / 2)).write(to: url)
        #expect(
            Self.loadError(folder)
                == .corruptGzip(file: "t10k-images-idx3-ubyte.gz", reason: "compressed data ends early"))
    }

    @Test func emptyMissingAndUnrecognisedFolders() throws {
        let temp = try TemporaryFolder()
        let empty = try temp.folder("empty")
        #expect(Self.loadError(empty) == .emptyFolder(empty.path))
        let missing = temp.url.appendingPathComponent("nowhere")
        #expect(Self.loadError(missing) == .missingFile(missing.path))
        let other = try temp.folder("other")
        try "hello".write(to: other.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect(Self.loadError(other) == .unrecognisedFolder(other.path, contents: ["notes.txt"]))
        let file = other.appendingPathComponent("notes.txt")
        #expect(Self.loadError(file) == .unreadable(file.path, reason: "not a folder"))
    }

    @Test func descriptionsAreSingleLinesStartingWithTheCulprit() {
        let errors: [DataError] = [
            .missingFile("a.bin"), .unreadable("a.bin", reason: "permission denied"), .emptyFolder("/d"),
            .corruptGzip(file: "a.gz", reason: "invalid block type"),
            .truncated(file: "a", expectedBytes: 9, actualBytes: 3), .trailingBytes(file: "a", count: 2),
            .checksumMismatch(file: "a.tar.gz", expected: "x", actual: "y"),
            .unsafeArchiveEntry(archive: "a.tar", entry: "../x", reason: "leaves the folder"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("a") || error.description.hasPrefix("/d"))
        }
    }
}
