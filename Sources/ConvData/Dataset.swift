import Foundation

/// A labelled image dataset read from a folder: training, test and (optionally) validation images.
public struct Dataset: Sendable {
    /// Short name (`cifar10`, `fashion-mnist`, ... or the folder's name for unknown IDX data).
    public var name: String
    /// The folder the files were read from.
    public var folder: String
    public var format: DatasetFormat
    /// Class names in label order.
    public var classNames: [String]
    public var train: ImageSet
    public var test: ImageSet
    /// Images held out of `train` by `holdingOutValidation(_:)`; empty otherwise.
    public var validation: ImageSet
    /// False for digits and characters, whose mirror image is a different symbol.
    public var allowsHorizontalFlip: Bool
    /// Image files of an image folder that could not be decoded, with the reason; they are left out.
    public var skippedFiles: [SkippedImageFile]
    /// Layout, sizes and colour modes of an image folder's files; nil for other formats.
    public var imageFolder: ImageFolderSummary?

    public init(
        name: String, folder: String, format: DatasetFormat, classNames: [String],
        train: ImageSet, test: ImageSet, validation: ImageSet? = nil, allowsHorizontalFlip: Bool,
        skippedFiles: [SkippedImageFile] = []
    ) {
        self.name = name
        self.folder = folder
        self.format = format
        self.classNames = classNames
        self.train = train
        self.test = test
        self.validation = validation ?? .empty(train.dimensions)
        self.allowsHorizontalFlip = allowsHorizontalFlip
        self.skippedFiles = skippedFiles
    }

    /// Channels, height and width of every image.
    public var dimensions: ImageDimensions { train.dimensions }
    public var classCount: Int { classNames.count }

    /// Reads the dataset in `folder`, detecting its format from the files it contains.
    ///
    /// A folder holding nothing but one dataset folder (as an extracted archive does) is
    /// looked into. A folder of class folders of PNG and JPEG files (see `ImageFolderLoader`) is
    /// decoded as `images` says. Every problem is thrown as a `DataError`; nothing is ever half loaded.
    public static func load(
        from folder: URL, labels: LabelGranularity = .fine,
        images: ImageFolderOptions = ImageFolderOptions()
    ) throws -> Dataset {
        let contents = try listing(folder)
        let names = Set(contents)
        if names.contains(where: { $0.hasPrefix("data_batch_") && $0.hasSuffix(".bin") }) {
            return try CIFARBinary.loadCIFAR10(folder)
        }
        if names.contains("train.bin") { return try CIFARBinary.loadCIFAR100(folder, labels: labels) }
        if IDXDataset.trainImagesFile(in: folder) != nil { return try IDXDataset.load(folder) }
        let subfolders = contents.filter { isFolder(folder.appendingPathComponent($0)) }
        if contents.count == 1, let only = subfolders.first,
            !ImageFolderLayout.holdsImages(folder.appendingPathComponent(only))
        {
            return try load(from: folder.appendingPathComponent(only), labels: labels, images: images)
        }
        if ImageFolderLayout.isImageFolder(folder, subfolders: subfolders) {
            return try ImageFolderLoader(options: images).load(folder)
        }
        throw DataError.unrecognisedFolder(folder.path, contents: contents)
    }

    /// Moves `count` training images into `validation`, the same images on every run: the last
    /// `count` for CIFAR and IDX files (whose order is fixed), a class-stratified draw for an
    /// image folder (whose files are sorted by class).
    public func holdingOutValidation(_ count: Int) throws -> Dataset {
        guard count > 0 else { return self }
        guard validation.count == 0 else {
            throw DataError.invalidOption("--val-split \(count): \(folder) has its own validation split")
        }
        var split = self
        if format == .imageFolder {
            (split.train, split.validation) = try train.holdingOutStratified(count, classCount: classCount)
        } else {
            (split.train, split.validation) = try train.holdingOut(last: count)
        }
        return split
    }

    private static func listing(_ folder: URL) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(folder.path)
        }
        guard isDirectory.boolValue else { throw DataError.unreadable(folder.path, reason: "not a folder") }
        let contents: [String]
        do {
            contents = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw DataError.unreadable(folder.path, reason: "cannot list the folder")
        }
        let visible = contents.filter { !$0.hasPrefix(".") }.sorted()
        guard !visible.isEmpty else { throw DataError.emptyFolder(folder.path) }
        return visible
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
