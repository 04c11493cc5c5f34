import Foundation

/// Reads the CIFAR-10 and CIFAR-100 binary versions: fixed-size records of label bytes followed
/// by 3072 pixel bytes (the 1024 red values, then green, then blue, each plane row-major 32x32).
enum CIFARBinary {
    static let dimensions = ImageDimensions(channels: 3, height: 32, width: 32)
    static let trainBatchCount = 5

    /// Reads `files` as one image set. `labelBytes` is 1 (CIFAR-10) or 2 (CIFAR-100: coarse,
    /// fine); `labelOffset` picks which of them is the label.
    static func read(_ files: [URL], labelBytes: Int, labelOffset: Int, classCount: Int) throws -> ImageSet {
        let imageSize = dimensions.valueCount
        let recordSize = labelBytes + imageSize
        var recordCounts = [Int]()
        for file in files {
            let size = try FileBytes.size(of: file)
            guard size % recordSize == 0 else {
                throw DataError.notWholeRecords(file: file.lastPathComponent, bytes: size, recordSize: recordSize)
            }
            guard size > 0 else { throw DataError.malformed(file: file.lastPathComponent, detail: "file is empty") }
            recordCounts.append(size / recordSize)
        }
        let total = recordCounts.reduce(0, +)
        var pixels = [UInt8](repeating: 0, count: total * imageSize)
        var labels = [Int32](repeating: 0, count: total)
        var image = 0
        for (file, records) in zip(files, recordCounts) {
            let bytes = try FileBytes.read(file)
            guard bytes.count == records * recordSize else {
                throw DataError.unreadable(file.lastPathComponent, reason: "size changed while reading")
            }
            try bytes.withUnsafeBufferPointer { source in
                try pixels.withUnsafeMutableBufferPointer { target in
                    for record in 0..<records {
                        let start = record * recordSize
                        let label = Int(source[start + labelOffset])
                        guard label < classCount else {
                            throw DataError.labelOutOfRange(
                                file: file.lastPathComponent, index: record,
                                label: label, classCount: classCount)
                        }
                        labels[image] = Int32(label)
                        (target.baseAddress! + image * imageSize)
                            .update(from: source.baseAddress! + start + labelBytes, count: imageSize)
                        image += 1
                    }
                }
            }
        }
        return ImageSet(dimensions: dimensions, pixels: pixels, labels: labels)
    }

    /// CIFAR-10: all five training batches are required, the test batch is optional (it is
    /// sometimes held back on purpose).
    static func loadCIFAR10(_ folder: URL) throws -> Dataset {
        let names = try ClassNames.read(folder.appendingPathComponent("batches.meta.txt")) ?? ClassNames.cifar10
        try checkClassNames(names, file: "batches.meta.txt", expected: 10)
        let batches = (1...trainBatchCount).map { folder.appendingPathComponent("data_batch_\($0).bin") }
        let train = try read(batches, labelBytes: 1, labelOffset: 0, classCount: 10)
        let testFile = folder.appendingPathComponent("test_batch.bin")
        let test =
            FileManager.default.fileExists(atPath: testFile.path)
            ? try read([testFile], labelBytes: 1, labelOffset: 0, classCount: 10)
            : .empty(dimensions)
        return Dataset(
            name: DatasetName.cifar10.rawValue, folder: folder.path, format: .cifar10Binary,
            classNames: names, train: train, test: test, allowsHorizontalFlip: true)
    }

    /// CIFAR-100: `train.bin` required, `test.bin` optional; fine or coarse labels.
    static func loadCIFAR100(_ folder: URL, labels granularity: LabelGranularity) throws -> Dataset {
        let (namesFile, classCount, offset) =
            granularity == .fine
            ? ("fine_label_names.txt", 100, 1) : ("coarse_label_names.txt", 20, 0)
        let names = try ClassNames.read(folder.appendingPathComponent(namesFile)) ?? ClassNames.numbered(classCount)
        try checkClassNames(names, file: namesFile, expected: classCount)
        let train = try read(
            [folder.appendingPathComponent("train.bin")],
            labelBytes: 2, labelOffset: offset, classCount: classCount)
        let testFile = folder.appendingPathComponent("test.bin")
        let test =
            FileManager.default.fileExists(atPath: testFile.path)
            ? try read([testFile], labelBytes: 2, labelOffset: offset, classCount: classCount)
            : .empty(dimensions)
        return Dataset(
            name: DatasetName.cifar100.rawValue, folder: folder.path, format: .cifar100Binary,
            classNames: names, train: train, test: test, allowsHorizontalFlip: true)
    }

    private static func checkClassNames(_ names: [String], file: String, expected: Int) throws {
        guard names.count == expected else {
            throw DataError.malformed(file: file, detail: "lists \(names.count) class names, expected \(expected)")
        }
    }
}
