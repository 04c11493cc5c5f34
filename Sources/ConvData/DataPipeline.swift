/// Everything a training run needs from its data: the dataset (with its validation split) and
/// the loaders that turn it into batches, built from the command line's choices.
public struct DataPipeline: Sendable {
    /// The dataset, with `validation` already held out of `train`.
    public let dataset: Dataset
    public let batchSize: Int
    public let seed: UInt64
    /// Applied to training batches only.
    public let augmentation: Augmentation
    /// Applied to every batch: the training images' own statistics unless chosen explicitly.
    public let normalization: Normalization

    /// Builds a pipeline over an already loaded dataset; `cutout` is `Augmentation.cutout`.
    public init(
        dataset: Dataset, batchSize: Int, seed: UInt64, augmentation: AugmentationMode = .standard,
        cutout: Int = 0, normalization: Normalization? = nil
    ) {
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        self.augmentation = Augmentation(augmentation, for: dataset, cutout: cutout)
        self.normalization = normalization ?? Normalization(ChannelStatistics(measuring: dataset.train))
    }

    /// Finds, reads and splits a dataset as the options ask.
    ///
    /// - Parameters:
    ///   - data: `--data PATH`, a dataset folder.
    ///   - datasetName: `--dataset NAME`; with neither, the default dataset.
    ///   - labels: `--labels fine|coarse` (CIFAR-100).
    ///   - validationCount: `--val-split N`, the last N training images.
    ///   - augment: `--augment none|flip|crop|crop-flip|resized|standard`.
    ///   - normalize: `--normalize MEAN,STD` (or per-channel means then deviations); nil for the
    ///     dataset's statistics.
    public static func load(
        data: String?, datasetName: String?, labels: String = LabelGranularity.fine.rawValue,
        validationCount: Int = 0, augment: String = AugmentationMode.standard.rawValue,
        normalize: String? = nil, batchSize: Int, seed: UInt64,
        locator: DatasetLocator = DatasetLocator()
    ) throws -> DataPipeline {
        guard let granularity = LabelGranularity(rawValue: labels) else {
            throw DataError.invalidOption("--labels \(labels): expected fine or coarse")
        }
        guard let mode = AugmentationMode(rawValue: augment) else {
            throw DataError.invalidOption(
                "--augment \(augment): expected \(AugmentationMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard batchSize > 0 else { throw DataError.invalidOption("--batch-size \(batchSize): must be positive") }
        let folder = try locator.resolve(data: data, dataset: datasetName)
        let dataset = try Dataset.load(from: folder, labels: granularity).holdingOutValidation(validationCount)
        let normalization = try normalize.map { try Normalization(parsing: $0, channels: dataset.dimensions.channels) }
        return DataPipeline(
            dataset: dataset, batchSize: batchSize, seed: seed, augmentation: mode,
            normalization: normalization)
    }

    /// Shuffled, augmented batches of the training images.
    public var training: BatchLoader {
        BatchLoader(
            images: dataset.train, batchSize: batchSize, shuffle: true, seed: seed,
            augmentation: augmentation, normalization: normalization)
    }

    /// Batches of `images` (`dataset.validation` or `dataset.test`) in order, without augmentation.
    public func evaluation(_ images: ImageSet) -> BatchLoader {
        BatchLoader(
            images: images, batchSize: batchSize, shuffle: false, seed: seed,
            augmentation: .none, normalization: normalization)
    }
}
