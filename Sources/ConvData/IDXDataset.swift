import Foundation

/// Reads an MNIST-family folder: `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`
/// (each raw or `.gz`), and optionally the `t10k-` pair for the test set.
enum IDXDataset {
    /// The training images file, if the folder has one.
    static func trainImagesFile(in folder: URL) -> URL? {
        existing(folder, "train-images-idx3-ubyte")
    }

    static func load(_ folder: URL) throws -> Dataset {
        let listed = try ClassNames.read(folder.appendingPathComponent(ClassNames.fileName))
        let family = family(of: folder, classNames: listed)
        let classNames = listed ?? family?.classNames
        let train = try readPair(folder, prefix: "train", classNames: classNames)
        let test = try optionalPair(folder, prefix: "t10k", classNames: classNames) ?? .empty(train.dimensions)
        guard train.dimensions == test.dimensions else {
            throw DataError.malformed(
                file: "t10k-images-idx3-ubyte",
                detail: "images are \(test.dimensions.height)x\(test.dimensions.width) but the training images are "
                    + "\(train.dimensions.height)x\(train.dimensions.width)")
        }
        let largestLabel = Int(max(train.labels.max() ?? 0, test.labels.max() ?? 0))
        return Dataset(
            name: family?.name.rawValue ?? folder.lastPathComponent, folder: folder.path, format: .idx,
            classNames: classNames ?? ClassNames.numbered(largestLabel + 1),
            train: train, test: test, allowsHorizontalFlip: family?.name.allowsHorizontalFlip ?? false)
    }

    /// A known family recognised from its class names when the folder lists them (as a fetched
    /// dataset does), otherwise from the folder's name (`fashion-mnist`, `kmnist`, `mnist`, ...).
    private static func family(of folder: URL, classNames: [String]?) -> (name: DatasetName, classNames: [String])? {
        let known: [(DatasetName, [String])] = [
            (.fashionMNIST, ClassNames.fashionMNIST), (.kmnist, ClassNames.kmnist),
            (.mnist, ClassNames.digits),
        ]
        if let classNames {
            return known.first { $0.1 == classNames }.map { (name: $0.0, classNames: $0.1) }
        }
        let name = folder.lastPathComponent.lowercased()
        if name.contains("fashion") { return (.fashionMNIST, ClassNames.fashionMNIST) }
        if name.contains("kmnist") { return (.kmnist, ClassNames.kmnist) }
        if name.contains("mnist") { return (.mnist, ClassNames.digits) }
        return nil
    }

    private static func existing(_ folder: URL, _ stem: String) -> URL? {
        [stem + ".gz", stem].map { folder.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    private static func optionalPair(_ folder: URL, prefix: String, classNames: [String]?) throws -> ImageSet? {
        let images = existing(folder, "\(prefix)-images-idx3-ubyte")
        let labels = existing(folder, "\(prefix)-labels-idx1-ubyte")
        if images == nil && labels == nil { return nil }
        return try readPair(folder, prefix: prefix, classNames: classNames)
    }

    private static func readPair(_ folder: URL, prefix: String, classNames: [String]?) throws -> ImageSet {
        guard let imagesFile = existing(folder, "\(prefix)-images-idx3-ubyte") else {
            throw DataError.missingFile("\(prefix)-images-idx3-ubyte[.gz]")
        }
        guard let labelsFile = existing(folder, "\(prefix)-labels-idx1-ubyte") else {
            throw DataError.missingFile("\(prefix)-labels-idx1-ubyte[.gz]")
        }
        let images = try IDXFile.read(imagesFile, dimensionCount: 3)
        let labels = try IDXFile.read(labelsFile, dimensionCount: 1)
        let (count, height, width) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        guard height > 0, width > 0 else {
            throw DataError.malformed(file: imagesFile.lastPathComponent, detail: "images are \(height)x\(width)")
        }
        guard labels.dimensions[0] == count else {
            throw DataError.countMismatch(
                images: imagesFile.lastPathComponent, imageCount: count,
                labels: labelsFile.lastPathComponent, labelCount: labels.dimensions[0])
        }
        if let classCount = classNames?.count,
            let index = labels.bytes.firstIndex(where: { Int($0) >= classCount })
        {
            throw DataError.labelOutOfRange(
                file: labelsFile.lastPathComponent, index: index,
                label: Int(labels.bytes[index]), classCount: classCount)
        }
        return ImageSet(
            dimensions: ImageDimensions(channels: 1, height: height, width: width),
            pixels: images.bytes, labels: labels.bytes.map(Int32.init))
    }
}
