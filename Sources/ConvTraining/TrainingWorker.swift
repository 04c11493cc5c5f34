import ConvData
import ConvEngine
import ConvProtocol
import Foundation

/// The training loop. Lives on the session's worker thread and owns every piece of training
/// state; the outside world reaches it only through the channel, at step boundaries.
final class TrainingWorker {
    /// Builds the worker from `setup` and trains; a setup that cannot start becomes `failed`.
    static func run(setup: TrainingSetup, channel: TrainingChannel) {
        let worker: TrainingWorker
        do {
            worker = try TrainingWorker(setup: setup, channel: channel)
        } catch {
            channel.send(.failed("\(error)"))
            return
        }
        worker.train()
    }

    private let configuration: TrainingConfiguration
    private let dataset: Dataset
    private let channel: TrainingChannel
    private let communicator: any Communicator
    private let runFolder: RunFolder?
    private let journal: MetricsJournal?
    private let pool: ThreadPool
    private let model: Model
    private let optimizer: any Optimizer
    private let schedule: LearningRateSchedule
    private let loss: SoftmaxCrossEntropy
    private let loader: BatchLoader
    private let normalization: Normalization
    private let evaluator: Evaluator
    private let layerHealth: LayerHealthMonitor
    /// Training stops before this epoch (0-based).
    private let endEpoch: Int

    /// Batches trained since the run began, skipped non-finite ones included; the schedule's clock.
    private var step: Int
    /// The next batch to train.
    private var position: BatchPosition
    /// Learning-rate interventions scale the schedule from the step they happen at.
    private var learningRateScale: Double
    private var paused = false
    private var stopRequested = false
    private var lastEvaluation: Evaluation?
    private var lastCheckpoint: String?
    private var lastSavedStep: Int?
    /// A collective that failed ends the run without touching the checkpoints.
    private var communicationFailure: CommunicationError?
    /// Every gradient, then the shard's share of the batch's mean loss and its correct count, summed
    /// over the ranks in one call.
    private var reductionBuffer: [Float] = []
    /// The batch-norm sums over the ranks, with `--sync-bn` in a run of several ranks.
    private let batchStatistics: SynchronizedBatchStatistics?
    /// The step at which each rank applies the command being applied, for its journal line.
    private var commandRankSteps: [Int]?
    /// What `--init-from` took, for the journal.
    private var initialization: WeightInitialization?
    /// Keeps the best model and stops early, when the run monitors a figure.
    private var earlyStopping: EarlyStopping?
    /// The run's `marks.csv`; nil on ranks other than 0, without a folder or with an unreadable file.
    private var markBook: MarkBook?
    /// Why marks are not kept, when they are not.
    private var marksProblem: String?
    /// Batches of a range test asked for without a count (`--lr-find-steps`).
    private let learningRateFinderSteps: Int
    /// The state before each recent intervention, for undo.
    private var undoHistory = UndoHistory()
    /// An undo moved the run back, so the batches read ahead are the wrong ones.
    private var rewound = false
    /// Why a resumed run does not continue exactly where its checkpoint stands.
    private var resumeWarning: String?

    private var activeSeconds = 0.0
    private var activeSince: Double?
    private var epochStart = 0.0
    private var epochLoss = 0.0
    private var epochCorrect = 0
    private var epochImages = 0
    private var smoothed = SmoothedMetrics()
    private var throughput = Throughput()
    /// When the current step began: the end of the previous step or of whatever came between
    /// (an evaluation, a checkpoint, a pause), so that a step's duration is its own.
    private var stepStart = 0.0

    private let input = Tensor(shape: [0])
    private var labels: [Int] = []

    private init(setup: TrainingSetup, channel: TrainingChannel) throws {
        configuration = setup.configuration
        dataset = setup.dataset
        self.channel = channel
        communicator = setup.communicator
        runFolder = setup.runFolder
        if let problem = configuration.problem { throw TrainingError(description: problem) }
        guard dataset.train.count > 0 else {
            throw TrainingError(description: "\(dataset.folder): no training images")
        }
        if let problem = Augmentation.cutoutProblem(configuration.cutout ?? 0, for: dataset.dimensions) {
            throw TrainingError(description: problem)
        }
        let pipeline = DataPipeline(
            dataset: dataset, batchSize: configuration.batchSize, seed: configuration.seed,
            augmentation: configuration.augment, cutout: configuration.cutout ?? 0,
            normalization: try setup.chosenNormalization())
        normalization = pipeline.normalization
        loader = pipeline.training
        pool = ThreadPool(threads: setup.threads)
        // A resumed run rebuilds the network its checkpoint stores: the file may have changed since.
        let network = try setup.resume.map { try $0.checkpoint.network() } ?? configuration.model.network(for: dataset)
        model = Model(network: network, seed: configuration.seed, pool: pool)
        model.precision = (configuration.precision ?? .fp32).available
        if let problem = configuration.freezeProblem(in: model) { throw TrainingError(description: problem) }
        let trainable = model.trainableParameters(freezing: configuration.freeze ?? [])
        let trainableNames = Set(trainable.parameters.map(\.name))
        schedule = Self.makeSchedule(configuration, stepsPerEpoch: loader.batchesPerEpoch)
        let rule = Self.makeOptimizer(configuration, parameters: trainable.parameters, pool: pool)
        optimizer =
            configuration.lookahead == true
            ? Lookahead(
                wrapping: rule,
                tensors: trainable.parameters.map { NamedTensor(name: $0.name, value: $0.value) } + model.namedBuffers,
                totalSteps: schedule.totalSteps) : rule
        loss = SoftmaxCrossEntropy(labelSmoothing: Float(configuration.labelSmoothing))
        evaluator = Evaluator(
            sampleCount: configuration.sampleCount, misclassifiedLimit: configuration.misclassifiedLimit,
            averagesMirrorImages: configuration.testFlips == true,
            averagesShiftedImages: configuration.testShifts == true)
        endEpoch = min(configuration.epochs, setup.untilEpoch ?? .max)
        learningRateFinderSteps = setup.learningRateFinderSteps
        layerHealth = LayerHealthMonitor(
            model: model, interval: communicator.leads ? setup.layerHealthInterval : 0,
            trainable: trainableNames)

        if let resume = setup.resume {
            try resume.check(fits: dataset)
            try resume.restore(into: model, optimizer: optimizer)
            step = resume.step
            position = resume.position
            learningRateScale = resume.learningRateScale
            if position.batch >= loader.batchesPerEpoch {
                // The data lost images since the save (files deleted from an image folder): the
                // epoch the run stood in is shorter now than the batches it had trained of it.
                resumeWarning =
                    "the checkpoint stands at batch \(position.batch + 1) of epoch \(position.epoch + 1), but the data's "
                    + "epochs now end after batch \(loader.batchesPerEpoch) (\(dataset.train.count) training images); "
                    + "training continues with epoch \(position.epoch + 2)"
                position = BatchPosition(epoch: position.epoch + 1, batch: 0)
            }
        } else {
            step = 0
            position = BatchPosition(epoch: 0, batch: 0)
            learningRateScale = 1
            if let source = setup.initialWeights {
                let (taken, kept) = model.initialize(from: source.checkpoint.tensors)
                initialization = WeightInitialization(
                    source: source.file, taken: taken, reinitialized: kept,
                    frozen: model.namedParameters.map(\.name).filter { !trainableNames.contains($0) })
            }
        }
        journal = try runFolder.map { try MetricsJournal(url: $0.metricsFile) }
        earlyStopping = try EarlyStopping.forRun(configuration, dataset: dataset)
        if let state = setup.resume?.earlyStopping { earlyStopping?.restore(state) }
        if communicator.leads { (markBook, marksProblem) = MarkBook.forRun(runFolder, classNames: dataset.classNames) }
        batchStatistics =
            communicator.size > 1 && configuration.syncBatchNorm == true
            ? SynchronizedBatchStatistics(communicator: communicator) : nil
        model.batchStatisticsSynchronizer = batchStatistics
        if communicator.size > 1 {
            try broadcastParameters()
            reductionBuffer = [Float](repeating: 0, count: model.parameterCount + 2)
        }
    }

    static func makeOptimizer(_ c: TrainingConfiguration, parameters: [Parameter], pool: ThreadPool) -> any Optimizer {
        switch c.optimizer {
        case .sgd:
            SGD(
                parameters: parameters, learningRate: c.learningRate, momentum: Float(c.momentum),
                weightDecay: Float(c.weightDecay), nesterov: c.nesterov, pool: pool)
        case .adam:
            Adam(parameters: parameters, learningRate: c.learningRate, weightDecay: c.weightDecay)
        case .adamw:
            Adam(
                parameters: parameters, learningRate: c.learningRate, weightDecay: c.weightDecay,
                decoupledWeightDecay: true)
        }
    }

    static func makeSchedule(_ c: TrainingConfiguration, stepsPerEpoch: Int) -> LearningRateSchedule {
        let total = c.epochs * stepsPerEpoch
        let shape: LearningRateSchedule.Shape =
            switch c.schedule {
            case .constant: .constant
            case .step: .stepDecay(every: max(1, total / 3), gamma: 0.1)
            case .cosine: .cosine(minimum: 0)
            case .onecycle: .oneCycle(warmupFraction: 0.3, divFactor: 25, finalDivFactor: 1e4)
            }
        return LearningRateSchedule(
            base: c.learningRate, shape: shape, totalSteps: total,
            warmupSteps: Int((c.warmupEpochs * Double(stepsPerEpoch)).rounded()))
    }

    // MARK: The loop

    private func train() {
        emit(.started(summary))
        if !dataset.skippedFiles.isEmpty {
            emit(
                .warning(
                    "skipped \(dataset.skippedFiles.count) image files that could not be decoded: "
                        + dataset.skippedFiles.map(\.description).joined(separator: "; ")))
        }
        if let initialization { emit(.initialized(initialization)) }
        if let resumeWarning { emit(.warning(resumeWarning)) }
        if let marksProblem, runFolder != nil { emit(.warning(marksProblem)) }
        for mark in markBook?.marks ?? [] { emit(.imageMarked(mark)) }
        if position.epoch >= endEpoch {
            emit(
                .warning(
                    "nothing to train: the run is already at epoch \(position.epoch) of \(configuration.epochs); "
                        + "pass a larger --epochs to train longer"))
        }
        startClock()
        epochStart = now
        var prefetcher = PrefetchingBatchLoader(loader, from: position, endEpoch: endEpoch)
        defer { prefetcher.stop() }
        while position.epoch < endEpoch {
            applyCommands()
            if stopRequested || communicationFailure != nil { break }
            if rewound {
                prefetcher.stop()
                prefetcher = PrefetchingBatchLoader(loader, from: position, endEpoch: endEpoch)
                rewound = false
            }
            guard let batch = prefetcher.next() else { break }
            trainStep(on: batch)
            if communicationFailure != nil { break }
            let finishedEpoch = batch.position.batch == loader.batchesPerEpoch - 1
            prefetcher.recycle(batch)
            if finishedEpoch {
                endOfEpoch()
                stepStart = now
            }
        }
        if let communicationFailure {
            stopClock()
            return emit(.failed("step \(step): \(communicationFailure); \(keptCheckpoint)"))
        }
        finish()
    }

    private func trainStep(on batch: Batch) {
        let count = batch.count
        let learningRate = currentLearningRate
        position = next(after: batch.position)
        step += 1
        guard let (result, communicationSeconds) = computeGradients(on: batch) else { return }
        guard result.loss.isFinite else {
            return pauseForNonFinite(
                "the loss is \(result.loss)", reason: "non-finite loss", learningRate: learningRate)
        }
        guard gradientsAreFinite else {
            return pauseForNonFinite(
                "a gradient is not finite", reason: "non-finite gradient",
                learningRate: learningRate)
        }
        layerHealth.beforeUpdate(step: step)
        optimizer.learningRate = learningRate
        optimizer.step()

        epochLoss += Double(result.loss) * Double(count)
        epochCorrect += result.correct
        epochImages += count
        smoothed.add(loss: result.loss, accuracy: Float(result.correct) / Float(count), images: count)
        let end = now
        throughput.add(images: count, seconds: end - stepStart)
        stepStart = end
        let elapsed = activeTime
        emit(
            .step(
                StepMetrics(
                    epoch: batch.position.epoch + 1, step: step, stepInEpoch: batch.position.batch + 1,
                    stepsPerEpoch: loader.batchesPerEpoch, smoothedLoss: smoothed.loss,
                    smoothedAccuracy: smoothed.accuracy,
                    learningRate: learningRate, imagesPerSecond: throughput.imagesPerSecond, elapsed: elapsed,
                    communicationSeconds: communicationSeconds)))
        if let health = layerHealth.afterUpdate() { emit(.layerHealth(health)) }
    }

    /// Forward and backward passes over this rank's rows of `batch`, the gradients then averaged
    /// over the ranks: the batch's mean loss and correct count, and the seconds the averaging
    /// took (nil for one process). Nil when a collective failed (`communicationFailure` says why).
    private func computeGradients(on batch: Batch) -> (
        result: (loss: Float, correct: Int), communicationSeconds: Double?
    )? {
        let count = batch.count
        // This rank's rows of the global batch; one process takes them all.
        let rows = count * communicator.rank / communicator.size..<count * (communicator.rank + 1) / communicator.size
        let imageSize = model.inputShape.reduce(1, *)
        input.resize(to: [rows.count] + model.inputShape)
        batch.images.withUnsafeBufferPointer {
            input.data.update(from: $0.baseAddress! + rows.lowerBound * imageSize, count: input.count)
        }
        labels.removeAll(keepingCapacity: true)
        for label in batch.labels[rows] { labels.append(Int(label)) }

        model.zeroGradients()
        var result: (loss: Float, correct: Int) = (0, 0)
        // Synchronized batch norm needs every rank in every layer; a batch smaller than the ranks
        // (the last of an epoch, at most) is left out on all of them alike.
        if batchStatistics != nil && count < communicator.size {
            emit(.warning("step \(step): a batch of \(count) images for \(communicator.size) ranks is skipped"))
            return nil
        }
        if !rows.isEmpty {
            let logits = model.forward(input, training: true)
            // The mean over the global batch: the ranks' gradients then add up to the batch's.
            result = loss.forward(logits: logits, labels: labels, averagedOver: count)
            model.backward(loss.gradient)
        }
        var communicationSeconds: Double?
        if communicator.size > 1 {
            let start = now
            do {
                if let failure = batchStatistics?.failure { throw failure }
                result = try sumGradients(shardLoss: result)
            } catch {
                failCommunication(error)
                return nil
            }
            communicationSeconds = now - start + (batchStatistics?.takeSeconds() ?? 0)
        }
        return (result, communicationSeconds)
    }

    private var gradientsAreFinite: Bool { model.namedParameters.allSatisfy { Self.isFinite($0.gradient) } }

    // MARK: Data parallelism

    /// Makes every rank's parameters rank 0's, so that the ranks start (or resume) from one model.
    private func broadcastParameters() throws {
        for parameter in model.namedParameters {
            try communicator.broadcast(
                UnsafeMutableBufferPointer(start: parameter.value.data, count: parameter.value.count))
        }
    }

    /// Replaces every rank's gradients with those of the whole global batch, and returns the
    /// batch's mean loss and correct count. Each rank's loss is its shard's share of the batch's
    /// mean (summed over its rows, divided by the batch's count), so the gradients and losses are
    /// summed as they are: with two ranks the sum is the one-process batch's bit for bit, since
    /// the engine sums every batch's two halves apart and then adds them (`BatchSummation`).
    private func sumGradients(shardLoss: (loss: Float, correct: Int)) throws -> (loss: Float, correct: Int) {
        let parameters = model.namedParameters
        let total = reductionBuffer.count
        try reductionBuffer.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for parameter in parameters {
                (buffer.baseAddress! + offset).update(from: parameter.gradient.data, count: parameter.gradient.count)
                offset += parameter.gradient.count
            }
            buffer[total - 2] = shardLoss.loss
            buffer[total - 1] = Float(shardLoss.correct)
            try communicator.sum(buffer)
            offset = 0
            for parameter in parameters {
                let gradient = parameter.gradient
                gradient.data.update(from: buffer.baseAddress! + offset, count: gradient.count)
                offset += gradient.count
            }
        }
        return (reductionBuffer[total - 2], Int(reductionBuffer[total - 1]))
    }

    private func endOfEpoch() {
        let epoch = position.epoch
        let images = max(1, epochImages)
        emit(
            .epochCompleted(
                EpochSummary(
                    epoch: epoch, step: step, loss: Float(epochLoss / Double(images)),
                    accuracy: Float(epochCorrect) / Float(images), seconds: now - epochStart)))
        if epoch == endEpoch || epoch % (configuration.evaluateEvery ?? 1) == 0 { evaluate(atEpochEnd: true) }
        if configuration.saveEvery > 0 && epoch % configuration.saveEvery == 0 { save(to: nil) }
        epochLoss = 0
        epochCorrect = 0
        epochImages = 0
        epochStart = now
    }

    private func finish() {
        stopClock()
        // The run ends here, so a state it could not keep is a failure, not a finish.
        if runFolder != nil && lastSavedStep != step, case .failed(let error) = save(to: nil) {
            return emit(.failed("step \(step): the end of the run could not be saved: \(error); \(keptCheckpoint)"))
        }
        emit(
            .finished(
                FinalResult(
                    step: step, epoch: currentEpoch, seconds: activeSeconds,
                    lastEvaluation: lastEvaluation, checkpointPath: lastCheckpoint)))
    }

    // MARK: Commands

    /// Applies every queued command; while paused, sleeps until one arrives.
    private func applyCommands() {
        while !stopRequested, let command = nextCommand() {
            if communicator.size > 1 {
                do {
                    commandRankSteps = try communicator.agreeOnCommand(command, at: step)
                } catch {
                    failCommunication(error)
                    return
                }
            }
            apply(command)
            commandRankSteps = nil
            stepStart = now
        }
    }

    /// The next command to apply at this step boundary, or nil to train on. Rank 0 takes it from
    /// its viewer and broadcasts it, so that every rank applies it at the same step.
    private func nextCommand() -> TrainingCommand? {
        var command: TrainingCommand?
        if communicator.leads {
            command = paused ? channel.waitForCommand() : channel.nextCommand()
        }
        guard communicator.size > 1 else { return command }
        // The protocol's own line is the wire format here too; an empty broadcast means no command.
        var bytes = command.map { Array($0.jsonLine().utf8) } ?? []
        do {
            try communicator.broadcast(&bytes)
        } catch {
            failCommunication(error)
            return nil
        }
        return bytes.isEmpty ? nil : try? TrainingCommand(jsonLine: Substring(decoding: bytes, as: UTF8.self))
    }

    private func apply(_ command: TrainingCommand) {
        switch command {
        case .pause:
            guard !paused else { return }
            paused = true
            stopClock()
            emit(.paused(step: step, reason: nil))
        case .resume:
            guard paused else { return }
            paused = false
            startClock()
            emit(.resumed(step: step))
        case .setLearningRate(let rate):
            changeLearningRate(to: rate)
        case .scaleLearningRate(let factor):
            changeLearningRate(to: currentLearningRate * factor)
        case .save(let path):
            save(to: path)
        case .evaluate:
            evaluate()
        case .stop:
            stopRequested = true
        case .explain(let request):
            explain(request)
        case .findLearningRate(let steps):
            findLearningRate(steps: steps ?? learningRateFinderSteps)
        case .undo:
            undo()
        case .markImage(let mark):
            changeMarks { emit(.imageMarked(try $0.mark(mark, in: dataset))) }
        case .unmarkImage(let split, let index):
            changeMarks {
                if try $0.unmark(split: split, index: index) { emit(.imageUnmarked(split: split, index: index)) }
            }
        }
    }

    /// Rank 0 alone keeps the marks, in the run folder; a mark it cannot keep becomes a warning.
    private func changeMarks(_ change: (MarkBook) throws -> Void) {
        guard communicator.leads else { return }
        guard let markBook else { return emit(.warning("mark not kept: \(marksProblem ?? "marking is off")")) }
        do {
            try change(markBook)
        } catch {
            emit(.warning("mark not kept: \(error)"))
        }
    }

    private func changeLearningRate(to rate: Double) {
        let scheduled = schedule.learningRate(at: step)
        guard rate > 0, rate.isFinite, scheduled > 0 else {
            return emit(.warning("learning rate \(rate) ignored: it must be a positive number"))
        }
        let old = currentLearningRate
        undoHistory.keep(snapshot(), before: "learning rate \(Self.rate(old)) → \(Self.rate(rate))")
        learningRateScale = rate / scheduled
        emit(.learningRateChanged(old: old, new: rate, step: step))
    }

    private func pauseForNonFinite(_ what: String, reason: String, learningRate: Double) {
        let lower = String(format: "%.3g", learningRate / 10)
        var message =
            "step \(step): \(what), so the update was skipped and training is paused. "
            + "The learning rate (\(String(format: "%.3g", learningRate))) is probably too high: lower it "
            + "(for example to \(lower)) and resume."
        if !model.namedParameters.allSatisfy({ Self.isFinite($0.value) }) {
            message +=
                " The weights are no longer finite and will not be saved; resume from "
                + (lastCheckpoint.map { "the last checkpoint (\($0))" } ?? "the start") + " with a lower learning rate."
        }
        emit(.warning(message))
        paused = true
        stopClock()
        emit(.paused(step: step, reason: reason))
    }

    // MARK: Range test and undo

    /// Pauses, trains an exponential sweep of `steps` batches from the next batch on, streaming
    /// each loss, then puts the snapshot taken before it back and reports what it found; the run
    /// stays paused for the person to choose a rate. The sweep trains the run's own model and
    /// optimizer rather than copies: the snapshot restores every bit, and a copy would double the
    /// memory of the activations.
    private func findLearningRate(steps: Int) {
        guard steps >= 2 else { return emit(.warning("a range test needs at least 2 steps, not \(steps)")) }
        if !paused {
            paused = true
            stopClock()
            emit(.paused(step: step, reason: "learning-rate range test"))
        }
        let before = snapshot()
        var finder = LearningRateFinder(step: step, steps: steps)
        emit(.learningRateSweepStarted(finder.sweep))
        var batch = loader.makeBatch()
        var batchPosition = position
        while let rate = finder.nextRate {
            loader.load(batchPosition, into: &batch)
            guard let (result, _) = computeGradients(on: batch) else { break }
            let finite = result.loss.isFinite && gradientsAreFinite
            if finite {
                optimizer.learningRate = rate
                optimizer.step()
            }
            emit(.learningRateProbed(finder.record(loss: finite ? result.loss : .nan)))
            batchPosition = next(after: batchPosition)
        }
        restore(before)
        emit(.learningRateFound(finder.finding))
    }

    /// Goes back to the state before the last intervention; the steps since become an abandoned branch.
    private func undo() {
        guard let entry = undoHistory.takeLast() else {
            return emit(.warning("nothing to undo: no intervention since the run started (or the oldest was dropped)"))
        }
        let from = step
        restore(entry.snapshot)
        rewound = true
        emit(
            .undone(
                Rewind(
                    step: step, fromStep: from, intervention: entry.intervention, learningRate: currentLearningRate,
                    remaining: undoHistory.entries.count)))
    }

    private func snapshot() -> TrainingSnapshot {
        TrainingSnapshot(
            checkpoint: currentCheckpoint,
            epoch: EpochProgress(loss: epochLoss, correct: epochCorrect, images: epochImages, smoothed: smoothed))
    }

    /// Puts `snapshot` back. It was taken from this model and optimizer, so it fits them.
    private func restore(_ snapshot: TrainingSnapshot) {
        do {
            try snapshot.restore(into: model, optimizer: optimizer)
        } catch {
            preconditionFailure("a snapshot of this run does not fit it: \(error)")
        }
        step = snapshot.step
        position = snapshot.position
        learningRateScale = snapshot.learningRateScale
        (epochLoss, epochCorrect, epochImages, smoothed) = (
            snapshot.epoch.loss, snapshot.epoch.correct, snapshot.epoch.images, snapshot.epoch.smoothed
        )
        // The checkpoint on disk may hold a later state of the abandoned branch: the end must save again.
        lastSavedStep = nil
    }

    private static func rate(_ value: Double) -> String { String(format: "%.3g", value) }

    // MARK: Evaluation and checkpoints

    /// Every rank evaluates its share of the batches with rank 0's model; rank 0 reports the whole.
    private func evaluate(atEpochEnd: Bool = false) {
        let splits = [(Split.validation, dataset.validation), (.test, dataset.test)].filter { $0.1.count > 0 }
        if splits.isEmpty { return emit(.warning("no test or validation images to evaluate on")) }
        do {
            if communicator.size > 1 { try communicator.broadcastBuffers(of: model) }
            for (name, images) in splits {
                guard
                    let evaluation = try evaluator.evaluate(
                        model, on: images, normalization: normalization, split: name,
                        epoch: currentEpoch, step: step, over: communicator)
                else { continue }
                lastEvaluation = evaluation
                emit(.evaluation(evaluation))
                watch(evaluation, atEpochEnd: atEpochEnd)
            }
        } catch {
            failCommunication(error)
        }
    }

    /// Keeps a new best model beside the checkpoint; an early stop goes through the command queue,
    /// as a person's would, so that every rank stops at the same step.
    private func watch(_ evaluation: Evaluation, atEpochEnd: Bool) {
        switch earlyStopping?.observe(evaluation, atEpochEnd: atEpochEnd) {
        case .improved(let best):
            if let path = runFolder?.bestCheckpointFile.path {
                guard case .written = write(currentCheckpoint, to: path, what: "best model") else { return }
            }
            emit(.bestImproved(best))
        case .stop(let reason):
            emit(.earlyStopped(reason: reason, step: step))
            channel.send(.stop)
        case .unchanged, nil:
            break
        }
    }

    /// Rank 0 answers alone: the maps come from its model, which every rank shares.
    private func explain(_ request: SaliencyRequest) {
        guard communicator.leads else { return }
        let images = request.split == .test ? dataset.test : dataset.validation
        do {
            emit(.saliency(try model.saliencyMaps(for: request, in: images, normalization: normalization, step: step)))
        } catch {
            emit(.warning("\(error)"))
        }
    }

    @discardableResult
    private func save(to path: String?) -> CheckpointWrite {
        guard communicator.leads else { return .refused }
        guard let target = path ?? runFolder?.checkpointFile.path else {
            emit(.warning("checkpoint not saved: this run has no folder, so give a path"))
            return .refused
        }
        let written = write(currentCheckpoint, to: target, what: "checkpoint")
        guard case .written = written else { return written }
        lastCheckpoint = target
        lastSavedStep = step
        emit(.checkpointSaved(path: target, step: step))
        return written
    }

    /// What a failure leaves behind, for its message.
    private var keptCheckpoint: String {
        lastCheckpoint.map { "the last checkpoint (\($0)) is intact" } ?? "no checkpoint was saved"
    }

    /// The run as it stands, for a checkpoint file.
    private var currentCheckpoint: TrainingCheckpoint {
        TrainingCheckpoint(
            model: model, optimizer: optimizer, configuration: configuration, datasetName: dataset.name,
            datasetFolder: dataset.folder, classNames: dataset.classNames, normalization: normalization, step: step,
            position: position, learningRateScale: learningRateScale, earlyStopping: earlyStopping?.state)
    }

    /// What became of a checkpoint the worker was to write.
    private enum CheckpointWrite {
        case written
        /// Not written, on purpose: no rank but 0 writes, a weight is not finite, or there is no folder.
        case refused
        /// Not written: the file system failed it (a full disk, say); the error names the file.
        case failed(String)
    }

    /// Writes `checkpoint` atomically unless a weight is not finite, so that a good file is never
    /// replaced by a diverged model; a file not written is a warning.
    private func write(_ checkpoint: TrainingCheckpoint, to target: String, what: String) -> CheckpointWrite {
        guard checkpoint.isFinite else {
            emit(.warning("\(what) not saved to \(target): the weights are not finite (the run diverged)"))
            return .refused
        }
        do {
            try checkpoint.write(to: target)
            return .written
        } catch {
            emit(.warning("\(what) not saved: \(error)"))
            return .failed("\(error)")
        }
    }

    // MARK: Bookkeeping

    /// Ends the run at the next check, without touching the checkpoints.
    private func failCommunication(_ error: any Error) {
        communicationFailure = error as? CommunicationError ?? CommunicationError(description: "\(error)")
    }

    private func emit(_ event: TrainingEvent) {
        journal?.record(event, rankSteps: commandRankSteps)
        channel.send(event)
    }

    private var currentLearningRate: Double { schedule.learningRate(at: step) * learningRateScale }

    private var currentEpoch: Int { position.epochNumber }

    private func next(after p: BatchPosition) -> BatchPosition {
        p.batch + 1 < loader.batchesPerEpoch
            ? BatchPosition(epoch: p.epoch, batch: p.batch + 1)
            : BatchPosition(epoch: p.epoch + 1, batch: 0)
    }

    private var summary: RunSummary {
        let d = dataset.dimensions
        return RunSummary(
            runName: runFolder?.name ?? "in-memory", runDirectory: runFolder?.url.path ?? "",
            datasetName: dataset.name, modelName: model.name, parameterCount: model.parameterCount,
            classNames: dataset.classNames, imageShape: ImageShape(d),
            trainCount: dataset.train.count, testCount: dataset.test.count, validationCount: dataset.validation.count,
            epochs: configuration.epochs, stepsPerEpoch: loader.batchesPerEpoch, batchSize: configuration.batchSize,
            threads: pool.threadCount, optimizer: optimizerDescription, learningRate: configuration.learningRate,
            testFlips: configuration.testFlips == true, testShifts: configuration.testShifts == true,
            kernel: model.convolutionSummary, startStep: step,
            worldSize: communicator.size, modelTable: model.architecture.map { ModelTable(NetworkSummary($0)) },
            skippedFileCount: dataset.skippedFiles.count)
    }

    private var optimizerDescription: String {
        var text = optimizer.name
        if configuration.optimizer == .sgd && configuration.momentum > 0 {
            text +=
                configuration.nesterov ? " nesterov \(configuration.momentum)" : " momentum \(configuration.momentum)"
        }
        if configuration.weightDecay > 0 { text += ", wd \(configuration.weightDecay)" }
        if configuration.lookahead == true { text += ", lookahead" }
        return text + ", \(configuration.schedule.rawValue)"
    }

    private var now: Double { ProcessInfo.processInfo.systemUptime }

    /// Seconds of training so far, pauses excluded.
    private var activeTime: Double { activeSeconds + (activeSince.map { now - $0 } ?? 0) }

    private func startClock() {
        activeSince = now
        stepStart = activeSince!
    }

    private func stopClock() {
        activeSeconds = activeTime
        activeSince = nil
    }

    /// Whether every element is a finite number: `x * 0` is 0 for finite x and NaN otherwise,
    /// and the sum stays NaN once it is.
    static func isFinite(_ tensor: Tensor) -> Bool {
        var probe: Float = 0
        for i in 0..<tensor.count { probe += tensor.data[i] * 0 }
        return probe == 0
    }
}

/// Why a training run could not start.
public struct TrainingError: Error, CustomStringConvertible {
    public var description: String
}
