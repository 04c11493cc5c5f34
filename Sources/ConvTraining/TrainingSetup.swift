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
    /// `--init-from`: the run whose matching tensors (name and shape) a new run starts from.
    public var initialWeights: (checkpoint: TrainingCheckpoint, file: String)?
    /// End (saving a checkpoint) after this epoch, counted from 1, even when the schedule spans
    /// more epochs: a long run can be trained in parts with `--resume`.
    public var untilEpoch: Int?
    /// The ranks training together; rank 0 alone writes `runFolder`, the others pass nil.
    public var communicator: any Communicator
    /// Batches of a learning-rate range test asked for without a count (`--lr-find-steps`).
    public var learningRateFinderSteps: Int
    /// Steps between two layer-health samples (`LayerHealthMonitor`); 0 takes none.
    public var layerHealthInterval = LayerHealthMonitor.defaultInterval

    public init(
        configuration: TrainingConfiguration, dataset: Dataset, runFolder: RunFolder?, threads: Int,
        resume: TrainingCheckpoint? = nil, initialWeights: (checkpoint: TrainingCheckpoint, file: String)? = nil,
        untilEpoch: Int? = nil, communicator: any Communicator = SingleProcess(), learningRateFinderSteps: Int = 100
    ) {
        self.configuration = configuration
        self.dataset = dataset
        self.runFolder = runFolder
        self.threads = threads
        self.resume = resume
        self.initialWeights = initialWeights
        self.untilEpoch = untilEpoch
        self.communicator = communicator
        self.learningRateFinderSteps = learningRateFinderSteps
    }

    /// The normalisation the run must use: the checkpoint's when resuming, else `--normalize`;
    /// nil leaves it to the training images' own mean and deviation.
    public func chosenNormalization() throws -> Normalization? {
        if let resume { return resume.normalization }
        return try configuration.normalize.map { try Normalization(parsing: $0, channels: dataset.dimensions.channels) }
    }
}
