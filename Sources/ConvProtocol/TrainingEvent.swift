/// What a training session tells its viewer (the dashboard or the headless reporter).
///
/// Events travel from the worker thread to the viewer through the session's channel; they are
/// plain values so that they can cross threads and be written to `metrics.jsonl`.
public enum TrainingEvent: Sendable, Equatable {
    case started(RunSummary)
    /// `--init-from`: the tensors the new run took from another run's checkpoint; sent after `started`.
    case initialized(WeightInitialization)
    case step(StepMetrics)
    case epochCompleted(EpochSummary)
    case evaluation(Evaluation)
    case paused(step: Int, reason: String?)
    case resumed(step: Int)
    case learningRateChanged(old: Double, new: Double, step: Int)
    case checkpointSaved(path: String, step: Int)
    case warning(String)
    case finished(FinalResult)
    case failed(String)
    /// The monitored figure reached a new best; `best.safetensors` now holds this model.
    case bestImproved(BestEvaluation)
    /// Early stopping ends the run (it saves and finishes as on `stop`); `reason` says why.
    case earlyStopped(reason: String, step: Int)
    /// The trainer recorded a mark in `marks.csv` (with the image's file, when it has one).
    case imageMarked(ImageMark)
    /// The trainer removed the mark of the image at `index` of `split` from `marks.csv`.
    case imageUnmarked(split: Split, index: Int)
    /// A learning-rate range test began: the run is paused and trains a sweep from its snapshot.
    case learningRateSweepStarted(LearningRateSweep)
    case learningRateProbed(LearningRateProbe)
    /// The range test ended and the run is back at its snapshot, paused.
    case learningRateFound(LearningRateFinding)
    /// The last intervention was undone.
    case undone(Rewind)
    /// The answer to an `explain` command.
    case saliency(SaliencyMaps)
    /// Every layer's statistics, sampled every few steps.
    case layerHealth(LayerHealth)
}

/// Describes a run once, when it starts: configuration, model and data.
public struct RunSummary: Sendable, Equatable {
    public var runName: String
    public var runDirectory: String
    public var datasetName: String
    public var modelName: String
    public var parameterCount: Int
    /// Class names in label order; the only source of class names for every screen.
    public var classNames: [String]
    public var imageShape: ImageShape
    public var trainCount: Int
    public var testCount: Int
    public var validationCount: Int
    public var epochs: Int
    public var stepsPerEpoch: Int
    public var batchSize: Int
    public var threads: Int
    public var optimizer: String
    public var learningRate: Double
    /// Whether evaluations average each image with its mirror image.
    public var testFlips: Bool
    /// Whether evaluations also average each image shifted by a pixel each way.
    public var testShifts: Bool
    /// The GEMM / convolution kernel the engine runs, for display.
    public var kernel: String
    /// The global step the run starts at (non-zero after `--resume`).
    public var startStep: Int
    /// The processes training together (MPI ranks); 1 for a plain run.
    public var worldSize: Int
    /// The model's layers as `convtop model summary` tables them; nil from a session or journal that
    /// does not send them.
    public var modelTable: ModelTable?
    /// Image files of the dataset folder that could not be decoded and were left out.
    public var skippedFileCount: Int

    public init(
        runName: String, runDirectory: String, datasetName: String, modelName: String,
        parameterCount: Int, classNames: [String], imageShape: ImageShape, trainCount: Int,
        testCount: Int, validationCount: Int, epochs: Int, stepsPerEpoch: Int, batchSize: Int,
        threads: Int, optimizer: String, learningRate: Double, testFlips: Bool = false, testShifts: Bool = false,
        kernel: String,
        startStep: Int, worldSize: Int = 1, modelTable: ModelTable? = nil, skippedFileCount: Int = 0
    ) {
        self.runName = runName
        self.runDirectory = runDirectory
        self.datasetName = datasetName
        self.modelName = modelName
        self.parameterCount = parameterCount
        self.classNames = classNames
        self.imageShape = imageShape
        self.trainCount = trainCount
        self.testCount = testCount
        self.validationCount = validationCount
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.batchSize = batchSize
        self.threads = threads
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.testFlips = testFlips
        self.testShifts = testShifts
        self.kernel = kernel
        self.startStep = startStep
        self.worldSize = worldSize
        self.modelTable = modelTable
        self.skippedFileCount = skippedFileCount
    }
}

/// One optimizer step. `step` counts from the start of the run (it survives a resume);
/// `epoch` counts from 1.
public struct StepMetrics: Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    /// Training loss averaged over roughly the last 500 images (the session smooths it, so that it
    /// reads the same at any batch size); the journal calls it `loss`.
    public var smoothedLoss: Float
    /// Training accuracy averaged the same way; the journal calls it `accuracy`.
    public var smoothedAccuracy: Float
    public var learningRate: Double
    public var imagesPerSecond: Double
    /// Seconds of training since the run (or the resumed run) started, pauses excluded.
    public var elapsed: Double
    /// Seconds this step spent averaging gradients across the ranks; nil for a plain run.
    public var communicationSeconds: Double?

    public init(
        epoch: Int, step: Int, stepInEpoch: Int, stepsPerEpoch: Int, smoothedLoss: Float,
        smoothedAccuracy: Float, learningRate: Double, imagesPerSecond: Double, elapsed: Double,
        communicationSeconds: Double? = nil
    ) {
        self.epoch = epoch
        self.step = step
        self.stepInEpoch = stepInEpoch
        self.stepsPerEpoch = stepsPerEpoch
        self.smoothedLoss = smoothedLoss
        self.smoothedAccuracy = smoothedAccuracy
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.elapsed = elapsed
        self.communicationSeconds = communicationSeconds
    }
}

/// Training loss and accuracy averaged over one whole epoch.
public struct EpochSummary: Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var loss: Float
    public var accuracy: Float
    public var seconds: Double

    public init(epoch: Int, step: Int, loss: Float, accuracy: Float, seconds: Double) {
        self.epoch = epoch
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.seconds = seconds
    }
}

/// A pixel image as stored by the dataset: `channels` planes of `height * width` bytes (CHW).
public struct SampleImage: Sendable, Equatable {
    public var shape: ImageShape
    public var pixels: [UInt8]

    public init(shape: ImageShape, pixels: [UInt8]) {
        self.shape = shape
        self.pixels = pixels
    }
}

/// A class and the probability the model gave it.
public struct ClassProbability: Sendable, Equatable {
    public var label: Int
    public var probability: Float

    public init(label: Int, probability: Float) {
        self.label = label
        self.probability = probability
    }
}

/// The model's answer for one evaluation image.
public struct Prediction: Sendable, Equatable {
    /// Index of the image in its split.
    public var index: Int
    public var trueLabel: Int
    public var predictedLabel: Int
    /// The three most probable classes, most probable first.
    public var top: [ClassProbability]
    public var loss: Float
    public var image: SampleImage
    /// The image's file, relative to the dataset folder, for datasets of image files; nil for
    /// datasets whose images come packed in one file (CIFAR, IDX).
    public var fileName: String?

    public var isCorrect: Bool { trueLabel == predictedLabel }

    public init(
        index: Int, trueLabel: Int, predictedLabel: Int, top: [ClassProbability], loss: Float,
        image: SampleImage, fileName: String? = nil
    ) {
        self.index = index
        self.trueLabel = trueLabel
        self.predictedLabel = predictedLabel
        self.top = top
        self.loss = loss
        self.image = image
        self.fileName = fileName
    }
}

/// Counts of (true class, predicted class) pairs; `counts[t][p]`.
public struct ConfusionMatrix: Sendable, Equatable {
    public var counts: [[Int]]

    public init(classes: Int) {
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    }

    public init(counts: [[Int]]) {
        self.counts = counts
    }

    public var classes: Int { counts.count }

    public mutating func record(trueLabel: Int, predicted: Int) {
        counts[trueLabel][predicted] += 1
    }

    /// Fraction of each true class predicted correctly; 0 for a class with no images.
    public var perClassAccuracy: [Float] {
        counts.indices.map { t in
            let total = counts[t].reduce(0, +)
            return total == 0 ? 0 : Float(counts[t][t]) / Float(total)
        }
    }
}

/// The result of evaluating the model on one split.
public struct Evaluation: Sendable, Equatable {
    public var split: Split
    public var epoch: Int
    public var step: Int
    public var loss: Float
    public var accuracy: Float
    public var confusion: ConfusionMatrix
    /// The same fixed sample of images at every evaluation, so that the viewer shows progress.
    public var samples: [Prediction]
    /// Wrongly classified images, highest loss first (capped by the session).
    public var misclassified: [Prediction]

    public var perClassAccuracy: [Float] { confusion.perClassAccuracy }

    public init(
        split: Split, epoch: Int, step: Int, loss: Float, accuracy: Float, confusion: ConfusionMatrix,
        samples: [Prediction], misclassified: [Prediction]
    ) {
        self.split = split
        self.epoch = epoch
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
        self.samples = samples
        self.misclassified = misclassified
    }
}

/// How a run ended.
public struct FinalResult: Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var seconds: Double
    /// The last evaluation, when there was one.
    public var lastEvaluation: Evaluation?
    public var checkpointPath: String?

    public init(step: Int, epoch: Int, seconds: Double, lastEvaluation: Evaluation?, checkpointPath: String?) {
        self.step = step
        self.epoch = epoch
        self.seconds = seconds
        self.lastEvaluation = lastEvaluation
        self.checkpointPath = checkpointPath
    }
}
