import ConvData

/// What a training session starts from: settings, data, where to write, and where to resume.
public struct TrainingSetup: Sendable {
    public var configuration: TrainingConfiguration
    /// The dataset, with its validation split already held out.
    public var dataset: Dataset
    /// Where metrics and checkpoints go; nil keeps the run in memory (tests, benchmarks).
    public var runFolder: RunFolder?
    /// Engine threads.
    public var threads: Int
    /// The checkpoint to continue from.
    public var resume: TrainingCheckpoint?
    /// End (saving a checkpoint) after this epoch, counted from 1, even when the schedule spans
    /// more epochs: a long run can be trained in parts with `--resume`.
    public var untilEpoch: Int?

    public init(configuration: TrainingConfiguration, dataset: Dataset, runFolder: RunFolder?, threads: Int,
                resume: TrainingCheckpoint? = nil, untilEpoch: Int? = nil) {
        self.configuration = configuration
        self.dataset = dataset
        self.runFolder = runFolder
        self.threads = threads
        self.resume = resume
        self.untilEpoch = untilEpoch
    }

    /// The normalisation the run uses: the checkpoint's when resuming, else `--normalize`, else
    /// the training images' own mean and deviation.
    public func resolvedNormalization() throws -> Normalization {
        if let resume { return resume.normalization }
        if let text = configuration.normalize {
            return try Normalization(parsing: text, channels: dataset.dimensions.channels)
        }
        return Normalization(ChannelStatistics(measuring: dataset.train))
    }
}
