import ConvData
import ConvEngine
import ConvProtocol

/// Everything that decides how a run trains: model, optimisation, data pipeline and bookkeeping.
///
/// A value, saved into every checkpoint so that `--resume` continues with the same settings.
public struct TrainingConfiguration: Sendable, Equatable, Codable {
    /// A preset or a network file, encoded as its name (`lenet`, `resnet9`, ...) or path. A run
    /// resumed from a checkpoint uses the network text the checkpoint stores, not the file.
    public var model: ModelChoice
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    /// The peak (base) learning rate of the schedule.
    public var learningRate: Double
    /// `--lookahead`: every 5 steps the weights and batch-norm statistics join a running average
    /// and are set to it (`Lookahead`, airbench's). Optional so that older checkpoints still load:
    /// nil is off.
    public var lookahead: Bool?
    /// SGD momentum; ignored by Adam and AdamW.
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public var schedule: ScheduleKind
    /// Linear warm-up length in epochs (fractions allowed).
    public var warmupEpochs: Double
    public var labelSmoothing: Double
    /// Encoded as its name (`none`, `flip`, `crop` or `standard`), which is how checkpoints store it.
    public var augment: AugmentationMode
    /// `--cutout`: the side of the square erased from every training image (`Augmentation.cutout`);
    /// nil (as in checkpoints from before it existed) is none.
    public var cutout: Int?
    /// Evaluate every image and its mirror image and average the two predictions (test-time
    /// augmentation). Optional so that checkpoints saved before it existed still load: nil is off.
    public var testFlips: Bool?
    /// Evaluate every image shifted one pixel each way as well (`Evaluator.averagesShiftedImages`);
    /// nil (checkpoints saved before it existed) is off.
    public var testShifts: Bool?
    /// `--normalize` text (`0.5,0.5`), or nil for the training images' own mean and deviation.
    public var normalize: String?
    public var seed: UInt64
    /// Training images held out as a validation split (the last ones of the training set).
    public var validationSplit: Int
    /// Save a checkpoint every this many epochs (0: only at the end, on stop and on command).
    public var saveEvery: Int
    /// `--eval-every`: evaluate at the end of every this many epochs and of the last one; nil (as in
    /// checkpoints from before it existed) is every epoch.
    public var evaluateEvery: Int?
    /// How many fixed test images each evaluation reports predictions for.
    public var sampleCount: Int
    /// The most misclassified images an evaluation reports; by default all of a 10,000-image test
    /// set, so that a cell of the dashboard's confusion matrix browses exactly its images.
    public var misclassifiedLimit: Int
    /// `--freeze`: path prefixes of layers the optimizer leaves fixed; nil (as in checkpoints from
    /// before it existed) freezes nothing.
    public var freeze: [String]?
    /// The operands' format in the convolution and linear products. Optional so that checkpoints
    /// saved before it existed still load: nil is fp32.
    public var precision: Precision?
    /// `--patience`: stop when the monitored figure has not improved at the end of this many
    /// epochs in a row; nil never stops early. Optional, as the two below, so that checkpoints saved
    /// before early stopping existed still load.
    public var patience: Int?
    /// `--monitor`: the figure whose best model is kept as `best.safetensors` and that `patience`
    /// watches. Nil with a patience means the validation loss, or the test loss without a
    /// validation split; nil without one keeps no best model.
    public var monitor: MonitoredFigure?
    /// `--min-delta`: how much the figure must beat its best by to count as an improvement; nil is 0.
    public var minDelta: Double?
    /// `--sync-bn`: in a run of several ranks, batch norm normalises with the global batch's
    /// statistics rather than each rank's own. Optional so that older checkpoints still load: nil is off.
    public var syncBatchNorm: Bool?

    public init(
        model: ModelChoice, epochs: Int, batchSize: Int, optimizer: OptimizerKind, learningRate: Double,
        momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0,
        schedule: ScheduleKind = .constant, warmupEpochs: Double = 0, labelSmoothing: Double = 0,
        augment: AugmentationMode = .none, testFlips: Bool = false, testShifts: Bool = false, normalize: String? = nil,
        seed: UInt64 = 0,
        validationSplit: Int = 0,
        saveEvery: Int = 0, sampleCount: Int = 32, misclassifiedLimit: Int = 10_000, freeze: [String]? = nil,
        precision: Precision? = nil
    ) {
        self.model = model
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.warmupEpochs = warmupEpochs
        self.labelSmoothing = labelSmoothing
        self.augment = augment
        self.testFlips = testFlips
        self.testShifts = testShifts
        self.normalize = normalize
        self.seed = seed
        self.validationSplit = validationSplit
        self.saveEvery = saveEvery
        self.sampleCount = sampleCount
        self.misclassifiedLimit = misclassifiedLimit
        self.freeze = freeze
        self.precision = precision
    }

    /// Why `freeze` does not fit `model`: a prefix that names no layer with parameters (a mistyped
    /// name), or nil.
    public func freezeProblem(in model: Model) -> String? {
        model.trainableParameters(freezing: freeze ?? []).unmatched.first.map {
            "--freeze \($0) names no layer with parameters in \(model.name)"
        }
    }

    /// The first problem with these settings, as one line naming the option, or nil.
    public var problem: String? {
        if epochs < 1 { return "--epochs must be at least 1, got \(epochs)" }
        if batchSize < 1 { return "--batch-size must be at least 1, got \(batchSize)" }
        if !(learningRate > 0) || !learningRate.isFinite {
            return "--lr must be a positive number, got \(learningRate)"
        }
        if !(0..<1).contains(momentum) { return "--momentum must be in [0, 1), got \(momentum)" }
        if nesterov && (optimizer != .sgd || momentum == 0) {
            return "--nesterov needs --optimizer sgd with a --momentum above 0"
        }
        if !(weightDecay >= 0) || !weightDecay.isFinite {
            return "--weight-decay must be 0 or more, got \(weightDecay)"
        }
        if !(warmupEpochs >= 0) || !warmupEpochs.isFinite {
            return "--warmup must be 0 or more epochs, got \(warmupEpochs)"
        }
        if !(0..<1).contains(labelSmoothing) {
            return "--label-smoothing must be in [0, 1), got \(labelSmoothing)"
        }
        if let cutout, cutout < 0 { return "--cutout must be 0 or more pixels, got \(cutout)" }
        if validationSplit < 0 { return "--val-split must be 0 or more images, got \(validationSplit)" }
        if saveEvery < 0 { return "--save-every must be 0 or more epochs, got \(saveEvery)" }
        if let evaluateEvery, evaluateEvery < 1 { return "--eval-every must be at least 1 epoch, got \(evaluateEvery)" }
        if let patience, patience < 1 { return "--patience must be at least 1 epoch, got \(patience)" }
        if let minDelta, !(minDelta >= 0) || !minDelta.isFinite {
            return "--min-delta must be 0 or more, got \(minDelta)"
        }
        return nil
    }
}

/// The `--optimizer` choices.
public enum OptimizerKind: String, Sendable, Equatable, Codable, CaseIterable {
    case sgd, adam, adamw
}

/// The `--schedule` choices: how the learning rate moves over the run.
public enum ScheduleKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// Divide by 10 after each third of the run.
    case step
    /// Half a cosine from the base rate down to zero.
    case cosine
    /// Up from base / 25 to the base rate over 30% of the run, then down along a cosine.
    case onecycle
}
