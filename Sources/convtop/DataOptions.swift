import ArgumentParser
import ConvData
import ConvTraining
import Foundation

/// `--data PATH`, `--dataset NAME`, `--labels` and the image-folder options: which images a
/// command trains or evaluates on.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A dataset folder: CIFAR-10/100 binary, MNIST-family IDX files, or PNG/JPEG images "
                + "in class folders (<class>/<image>, optionally under train/, val/ and test/).", valueName: "path"))
    var data: String?

    @Option(
        help: ArgumentHelp(
            "A dataset by name, looked for in $CONVTOP_DATA, ~/.cache/convtop, /usr/share/datasets "
                + "and ./data: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var dataset: String?

    @Option(help: "CIFAR-100 labels: fine (100 classes) or coarse (20 superclasses).")
    var labels: LabelGranularity = .fine

    @OptionGroup var images: ImageFolderArguments

    func validate() throws {
        if data != nil && dataset != nil { throw ValidationError("give --data or --dataset, not both") }
    }

    /// Reads the chosen dataset. With neither option, a command on a checkpoint reads the data its
    /// run trained on (`TrainingCheckpoint.datasetLocation`), any other the default dataset. An image
    /// folder is stored at the checkpoint's input size and channels unless --image-size and
    /// --channels say otherwise.
    func load(trainedOn checkpoint: TrainingCheckpoint? = nil) throws -> Dataset {
        let locator = DatasetLocator()
        let folder: URL
        if data == nil && dataset == nil, let checkpoint {
            folder = try checkpoint.datasetLocation(locator: locator)
        } else {
            folder = try locator.resolve(data: data, dataset: dataset)
        }
        return try Dataset.load(
            from: folder, labels: labels,
            images: images.options(locator: locator, imageShape: checkpoint?.imageShape))
    }
}

/// `--image-size`, `--channels` and `--no-cache`: how an image folder is decoded.
struct ImageFolderArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Image folders: the model's input, a square N or WxH; every image is scaled (keeping its "
                + "aspect ratio) to cover it and centre-cropped; default: the training images' median "
                + "shorter side, at most \(ImageFolderOptions.largestDefaultSize).",
            valueName: "N|WxH"))
    var imageSize: ImageSize?

    @Option(
        help: ArgumentHelp(
            "Image folders: 1 (grey) or 3 (RGB); default 1 when every image is grey. "
                + "Alpha is dropped (as PIL's convert(\"RGB\")).", valueName: "1|3"))
    var channels: Int?

    @Flag(
        help: ArgumentHelp(
            "Image folders: decode every file instead of reading the decode cache in "
                + "$CONVTOP_CACHE_DIR, $XDG_CACHE_HOME/convtop/images or ~/.cache/convtop/images (nor write it)."))
    var noCache = false

    func validate() throws {
        if let imageSize, !ImageFolderLoader.isValid(imageSize) {
            throw ValidationError(
                "--image-size: width and height must be between 1 and \(ImageFolderLoader.largestImageSize), "
                    + "got \(imageSize)")
        }
        if let channels, channels != 1 && channels != 3 {
            throw ValidationError("--channels must be 1 or 3, got \(channels)")
        }
    }

    /// The loader's options, with a progress line on standard error while files are decoded and a
    /// line there when the decode cache cannot be written.
    func options(
        locator: DatasetLocator = DatasetLocator(), imageShape: ImageDimensions? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> ImageFolderOptions {
        let progress = DecodeProgressLine()
        return ImageFolderOptions(
            imageSize: imageSize ?? imageShape.map { ImageSize(width: $0.width, height: $0.height) },
            channels: channels ?? imageShape?.channels,
            cacheFolder: noCache ? nil : locator.imageCacheFolder, threads: threads,
            progress: progress.update, warning: { FileHandle.standardError.write(Data("convtop: \($0)\n".utf8)) })
    }
}

extension ImageSize: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
