import ArgumentParser
import ConvData
import ConvEngine
import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// `convtop train` (the default command): train a model and watch it, or log it when headless.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (the default command: plain `convtop` trains).",
        discussion: """
            Starts from a recipe (--recipe fast, the default, or tutorial); every option given \
            overrides the recipe. With --resume, the checkpoint's settings replace the recipe's and \
            training continues where it stopped, on the data folder it trained on unless --data or \
            --dataset names another. Runs are saved in runs/<name or start time>/: \
            metrics.jsonl and checkpoint.safetensors. SIGINT/SIGTERM finish the step, save and exit; \
            under mpirun, SIGTERM is mpirun ending the job and leaves the checkpoints as last saved.

            Examples:
              convtop train --headless
              convtop train --recipe tutorial --data /path/to/cifar-10-batches-bin --val-split 5000
              convtop train --resume runs/20261129-041502 --epochs 20
            """
    )

    @Option(help: ArgumentHelp("Settings to start from.", valueName: "name"))
    var recipe: Recipe = .fast

    @OptionGroup var data: DataOptions

    @Option(
        help: ArgumentHelp(
            "A model preset (\(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))) "
                + "or a network file (see `convtop model show`).", valueName: "preset|file"))
    var model: ModelChoice?

    @Option(
        help: ArgumentHelp(
            "Start from the tensors of another run's checkpoint (file or run folder) that match by "
                + "name and shape; the rest (a head for another class count) is initialised afresh.", valueName: "path")
    )
    var initFrom: String?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Keep the parameters of these layers fixed, by name or path prefix (conv1, res1, stage.0).",
            valueName: "prefix"))
    var freeze: [String] = []

    // Numeric options take their value unconditionally, so that `--lr -1` reaches validation and
    // its message instead of reading "-1" as an unknown option.
    @Option(parsing: .unconditional, help: "Epochs to train.")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Images per step.")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Peak learning rate.")
    var lr: Double?

    @Option(parsing: .unconditional, help: "SGD momentum.")
    var momentum: Double?

    @Flag(inversion: .prefixedNo, help: "Nesterov momentum (SGD).")
    var nesterov: Bool?

    @Option(parsing: .unconditional, help: "Weight decay (L2 for sgd and adam, decoupled for adamw).")
    var weightDecay: Double?

    @Option(help: ArgumentHelp("Optimizer.", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(help: ArgumentHelp("Learning-rate schedule.", valueName: "name"))
    var schedule: ScheduleKind?

    @Option(parsing: .unconditional, help: ArgumentHelp("Linear warm-up, in epochs.", valueName: "epochs"))
    var warmup: Double?

    @Option(parsing: .unconditional, help: "Label smoothing of the training loss, in [0, 1).")
    var labelSmoothing: Double?

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Every 5 steps fold the weights into a running average and set them to it, the average "
                + "smoothing more as the run ends (airbench's lookahead); a resume with other --epochs "
                + "stretches that ramp over the new length."))
    var lookahead: Bool?

    @Option(
        help: ArgumentHelp(
            "Training augmentation: flip, crop (of the zero-padded image), crop-flip (both), resized (random "
                + "resized crop and flip), standard (resized for image folders, crop-flip otherwise) or none.",
            valueName: "mode"))
    var augment: AugmentationMode?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Training augmentation: erase a random N x N square of every training image to the mean colour "
                + "(cutout; Myrtle's CIFAR-10 ResNet-9 uses 8). Default 0, none.", valueName: "N"))
    var cutout: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Also evaluate every image mirrored and average the predictions (default: on where the recipe flips).")
    var testFlips: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Also evaluate every image shifted a pixel up-left and down-right and average the predictions "
                + "(default: on where the recipe crops colour images)."))
    var testShifts: Bool?

    @Option(
        help: ArgumentHelp(
            "Normalisation MEAN,STD for every channel (or all means then all deviations); "
                + "default: the training images' own.", valueName: "mean,std"))
    var normalize: String?

    @Option(help: "Seed for initialisation, shuffling and augmentation.")
    var seed: UInt64?

    @Option(help: "Engine threads (default: every core).")
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Number format of the convolution and linear products (default: fp32).",
            valueName: "format"))
    var precision: Precision?

    @Flag(
        inversion: .prefixedNo,
        help: "Under mpirun, normalise batch norm with the whole global batch's statistics (SyncBatchNorm).")
    var syncBn: Bool?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Under mpirun, end the job when one collective waits this long for another rank (hung or dead).",
            valueName: "seconds"))
    var mpiTimeout: Double = 300

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Hold out N training images as a validation set: the last N, "
                + "or for an image folder a fixed draw with each class's share.", valueName: "N"))
    var valSplit: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Hold out this fraction of the training images (as --val-split; "
                + "the count is saved with the run).", valueName: "F"))
    var valFraction: Double?

    @Option(help: ArgumentHelp("Write the run into this folder instead of runs/<name>.", valueName: "path"))
    var runDir: String?

    @Option(help: "The run's name, its folder under runs/ (default: the start time).")
    var name: String?

    @Option(
        help: ArgumentHelp(
            "Continue from a checkpoint file, or from the newest good checkpoint in a run folder.",
            valueName: "path"))
    var resume: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Save a checkpoint every N epochs (it is always saved at the end and on stop).",
            valueName: "N"))
    var saveEvery: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Evaluate at the end of every N epochs and of the last (default 1; the fast recipe on grey "
                + "images, 5); --patience counts evaluations, not epochs.", valueName: "N"))
    var evalEvery: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Stop early when the monitored figure has not improved in N evaluations in a row (see "
                + "--eval-every); the best model is kept as best.safetensors.", valueName: "N"))
    var patience: Int?

    @Option(
        help: ArgumentHelp(
            "The figure that decides the best model (best.safetensors) and --patience "
                + "(default with --patience: val_loss, or test_loss without a validation split).",
            valueName: "figure"))
    var monitor: MonitoredFigure?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "How much the monitored figure must beat its best by to count as better (default 0).",
            valueName: "delta"))
    var minDelta: Double?

    @Option(
        help: ArgumentHelp(
            "Leave out the images a marks file lists (a run's marks.csv, or its folder): image files "
                + "by name, CIFAR and IDX images by split and index.", valueName: "marks.csv"))
    var exclude: String?

    @Option(
        help: ArgumentHelp(
            "Stop (and save) after this epoch though the schedule runs to --epochs; "
                + "continue later with --resume.", valueName: "epoch"))
    var untilEpoch: Int?

    @Option(
        help: ArgumentHelp("Headless: print a progress line every N steps (default: ten per epoch).", valueName: "N"))
    var logEvery: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Batches of a learning-rate range test (key r, `convtop lr-find`); it stops earlier when the loss "
                + "passes 4x its minimum.", valueName: "N"))
    var lrFindSteps = 100

    @Flag(
        help: ArgumentHelp(
            "Start the run in the background (its own session, output in the run folder's "
                + "output.log), print its name and folder, and return; watch it with `convtop attach`."))
    var detach = false

    @Flag(help: "Print plain progress lines instead of the dashboard (automatic when output is not a terminal).")
    var headless = false

    @OptionGroup var dashboard: DashboardArguments

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let logEvery, logEvery < 1 { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
        if lrFindSteps < 2 { throw ValidationError("--lr-find-steps must be at least 2, got \(lrFindSteps)") }
        if !(mpiTimeout > 0) {
            throw ValidationError("--mpi-timeout must be a positive number of seconds, got \(mpiTimeout)")
        }
        if let untilEpoch, untilEpoch < 1 {
            throw ValidationError("--until-epoch must be at least 1, got \(untilEpoch)")
        }
        if runDir != nil && name != nil { throw ValidationError("give --run-dir or --name, not both") }
        if valSplit != nil && valFraction != nil {
            throw ValidationError("give --val-split or --val-fraction, not both")
        }
        if let valFraction, !(valFraction > 0 && valFraction < 1) {
            throw ValidationError("--val-fraction must be between 0 and 1, got \(valFraction)")
        }
        if initFrom != nil && resume != nil {
            throw ValidationError("give --init-from or --resume, not both: a resumed run has its own weights")
        }
        // The values a recipe would fill in are checked with the same rules as the finished configuration.
        if let problem = apply(to: Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)).problem {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        if let model { _ = try model.load() }
        let resumed = try resume.map { try TrainingCheckpoint.load(fileOrRunFolder: $0) }
        let (configuration, dataset, initialWeights, exclusion) = try prepare(resuming: resumed)
        // Bad data or a model that does not fit it fail here, in the foreground, with exit status 2.
        if detach {
            try startInBackground(folder: runFolder(resumingFrom: resumed?.file))
            return
        }

        let communicator = try MPICommunicator.forLaunch(collectiveTimeout: mpiTimeout) { message in
            // The worker is stuck in the collective, so this thread ends the job, leaving the
            // checkpoints as they were last written.
            NCursesTerminal.restore()
            FileHandle.standardError.write(
                Data("convtop: \(message); ending the run, the last checkpoint is intact\n".utf8))
            MPICommunicator.abort()
        }
        defer { (communicator as? MPICommunicator)?.finalize() }
        guard communicator.leads else {
            return try trainFollowingRankZero(
                configuration: configuration, dataset: dataset, resumed: resumed,
                communicator: communicator)
        }
        let folder = try runFolder(resumingFrom: resumed?.file)
        let output = LineOutput()
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: dataset, runFolder: folder,
                threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, resume: resumed?.checkpoint,
                initialWeights: initialWeights, untilEpoch: untilEpoch, communicator: communicator,
                learningRateFinderSteps: lrFindSteps))
        let channel = session.channel
        let server = serve(folder, channel)
        let signals = RunSignals(
            onHangUp: { [output] in
                output.redirect(to: folder.logFile)
                channel.send(.save(path: nil))
            },
            onTerminate: communicator.size > 1 ? Self.endingWithTheJob(folder) : nil)
        if let resumed { output.write("resuming from \(resumed.file) at step \(resumed.checkpoint.step)") }
        if let exclusion { output.write(exclusion) }
        session.start()
        var viewer = makeViewer(output: output, logFile: folder.logFile, hungUp: { signals.hungUp })
        let last = viewer.watch(session.channel, interrupted: { signals.interrupted })
        session.wait()
        server?.close()
        guard case .finished = last else { throw ExitCode.failure }
    }

    /// The settings, data (validation held out, marked images excluded) and initial weights the run
    /// starts from, and what `--exclude` left out, checked:
    /// options over the recipe or `resumed`'s settings, refused here with a one-line error rather
    /// than by the worker.
    func prepare(resuming resumed: (checkpoint: TrainingCheckpoint, file: String)?) throws -> (
        configuration: TrainingConfiguration, dataset: Dataset,
        initialWeights: (checkpoint: TrainingCheckpoint, file: String)?, exclusion: String?
    ) {
        var dataset = try data.load(trainedOn: resumed?.checkpoint)
        let base =
            resumed?.checkpoint.configuration
            ?? recipe.configuration(
                channels: dataset.dimensions.channels, allowsHorizontalFlip: dataset.allowsHorizontalFlip)
        var configuration = apply(to: base)
        if let valFraction {
            configuration.validationSplit = Int((valFraction * Double(dataset.train.count)).rounded())
        }
        if let problem = configuration.problem { throw UsageError(problem) }
        if let problem = Augmentation.cutoutProblem(configuration.cutout ?? 0, for: dataset.dimensions) {
            throw UsageError(problem)
        }
        if let reason = configuration.precision?.unavailableReason {
            FileHandle.standardError.write(Data("convtop: \(reason)\n".utf8))
        }
        if let normalize = configuration.normalize {
            _ = try Normalization(parsing: normalize, channels: dataset.dimensions.channels)
        }
        if let resumed {
            try resumed.checkpoint.check(fits: dataset)
            // The saved position counts batches of the saved size; another size would replay other images.
            if configuration.batchSize != resumed.checkpoint.configuration.batchSize {
                throw UsageError(
                    "--batch-size cannot change when resuming: \(resumed.file) trains batches of "
                        + "\(resumed.checkpoint.configuration.batchSize)")
            }
            // The lookahead's averages are optimizer state: a checkpoint has them or it does not.
            let savedLookahead = resumed.checkpoint.configuration.lookahead == true
            if (configuration.lookahead == true) != savedLookahead {
                throw UsageError(
                    "--lookahead cannot change when resuming: \(resumed.file) trains "
                        + (savedLookahead ? "with a lookahead" : "without one"))
            }
        }
        // Refused here, before a run folder exists, rather than by the worker.
        let network =
            try resumed.map { try $0.checkpoint.checkpoint.network() } ?? configuration.model.network(for: dataset)
        if configuration.freeze?.isEmpty == false,
            let problem = configuration.freezeProblem(
                in: Model(network: network, seed: 0, pool: ThreadPool(threads: 1)))
        {
            throw UsageError(problem)
        }
        let initialWeights = try initFrom.map { try TrainingCheckpoint.load(fileOrRunFolder: $0) }
        dataset = try dataset.holdingOutValidation(configuration.validationSplit)
        var exclusion: String?
        if let exclude { (dataset, exclusion) = try excludingMarks(exclude, from: dataset) }
        return (configuration, dataset, initialWeights, exclusion)
    }

    /// What rank 0 does on SIGTERM, which `mpirun` sends when it ends the job: the other ranks are
    /// gone or going, so no step can finish and no checkpoint can be saved.
    private static func endingWithTheJob(_ folder: RunFolder) -> @Sendable () -> Void {
        {
            NCursesTerminal.restore()
            FileHandle.standardError.write(
                Data(
                    ("convtop: rank 0: mpirun is ending the job (a rank died or the job was interrupted); "
                        + "the checkpoints in \(folder.url.path) are as last saved\n").utf8))
            Foundation.exit(1)
        }
    }

    /// A rank other than 0 of an `mpirun` launch: no folder, no viewer and no output but its own
    /// failure; rank 0 steers it through the step-boundary broadcasts.
    private func trainFollowingRankZero(
        configuration: TrainingConfiguration, dataset: Dataset,
        resumed: (checkpoint: TrainingCheckpoint, file: String)?,
        communicator: any Communicator
    ) throws {
        let session = TrainingSession(
            setup: TrainingSetup(
                configuration: configuration, dataset: dataset, runFolder: nil,
                threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, resume: resumed?.checkpoint,
                untilEpoch: untilEpoch, communicator: communicator, learningRateFinderSteps: lrFindSteps))
        session.start()
        var last: TrainingEvent?
        while !session.channel.isDrained {
            for event in session.channel.events(waitingAtMost: 0.5) {
                switch event {
                case .finished: last = event
                case .failed(let message):
                    last = event
                    FileHandle.standardError.write(Data("convtop rank \(communicator.rank): \(message)\n".utf8))
                default: break
                }
            }
        }
        session.wait()
        guard case .finished = last else { throw ExitCode.failure }
    }

    /// `dataset` without the images the marks file at `path` (or in the run folder at `path`)
    /// lists, and a line saying what was left out.
    private func excludingMarks(_ path: String, from dataset: Dataset) throws -> (Dataset, String) {
        var isFolder: ObjCBool = false
        let file =
            FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
            ? RunFolder(url: URL(fileURLWithPath: path)).marksFile.path : path
        do {
            let exclusion = try dataset.excluding(MarksFile.read(file, classNames: dataset.classNames), file: file)
            let unmatched = exclusion.unmatched == 0 ? "" : "; \(exclusion.unmatched) marks name no image of it"
            return (
                exclusion.dataset, "--exclude: left out \(exclusion.excluded) images marked in \(file)\(unmatched)"
            )
        } catch let error as MarksFileError {
            throw UsageError(error.description)
        }
    }

    /// The run's socket, through which dashboards in other terminals attach (`convtop attach`). A
    /// run whose socket cannot be opened still trains, unattachable.
    private func serve(_ folder: RunFolder, _ channel: TrainingChannel) -> RunServer? {
        do {
            let server = try RunServer(folder: folder, onCommand: { channel.send($0) })
            channel.observe { server.publish($0) }
            return server
        } catch {
            FileHandle.standardError.write(Data("convtop: \(error); the run cannot be attached\n".utf8))
            return nil
        }
    }

    /// The viewer for this run: the dashboard when standard output is a terminal and --headless was
    /// not given, plain lines otherwise (or when the terminal cannot be driven).
    func makeViewer(output: LineOutput, logFile: URL, hungUp: @escaping () -> Bool) -> any TrainingViewer {
        let reporter = HeadlessReporter(stepsPerLine: logEvery)
        guard !headless, isatty(STDOUT_FILENO) == 1 else {
            return HeadlessViewer(reporter: reporter, write: output.write)
        }
        do {
            return try DashboardViewer(
                colorPreference: dashboard.colorPreference, options: dashboard.options,
                reporter: reporter, output: output, logFile: logFile, hungUp: hungUp)
        } catch {
            FileHandle.standardError.write(Data("convtop: \(error); running headless\n".utf8))
            return HeadlessViewer(reporter: reporter, write: output.write)
        }
    }

    /// The recipe's or checkpoint's settings with every option given on the command line applied.
    func apply(to base: TrainingConfiguration) -> TrainingConfiguration {
        var c = base
        if let model { c.model = model }
        if !freeze.isEmpty { c.freeze = freeze }
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        if let lr { c.learningRate = lr }
        if let momentum {
            c.momentum = momentum
            if momentum == 0 && nesterov == nil { c.nesterov = false }
        }
        if let nesterov { c.nesterov = nesterov }
        if let weightDecay { c.weightDecay = weightDecay }
        if let optimizer {
            c.optimizer = optimizer
            // Nesterov belongs to SGD; a recipe's Nesterov must not block another optimizer.
            if optimizer != .sgd && nesterov == nil { c.nesterov = false }
        }
        if let schedule { c.schedule = schedule }
        if let warmup { c.warmupEpochs = warmup }
        if let labelSmoothing { c.labelSmoothing = labelSmoothing }
        if let lookahead { c.lookahead = lookahead }
        if let augment {
            c.augment = augment
            // A recipe's test flips suit a model trained on flipped images, its shifts one trained on crops.
            if !augment.flips && testFlips == nil {
                c.testFlips = false
            }
            if !augment.movesImages && testShifts == nil {
                c.testShifts = false
            }
        }
        if let cutout { c.cutout = cutout }
        if let testFlips { c.testFlips = testFlips }
        if let testShifts { c.testShifts = testShifts }
        if let normalize { c.normalize = normalize }
        if let seed { c.seed = seed }
        if let valSplit { c.validationSplit = valSplit }
        if let saveEvery { c.saveEvery = saveEvery }
        if let evalEvery { c.evaluateEvery = evalEvery }
        if let precision { c.precision = precision }
        if let patience { c.patience = patience }
        if let monitor { c.monitor = monitor }
        if let minDelta { c.minDelta = minDelta }
        if let syncBn { c.syncBatchNorm = syncBn }
        return c
    }

    /// The variable through which `--detach` hands the run folder it made to the process it starts.
    static let detachedFolderVariable = "CONVTOP_RUN_FOLDER"

    /// Starts this command again without `--detach`, in its own session (no terminal can hang it
    /// up), reading nothing and writing to the run's `output.log`, and prints where the run is.
    private func startInBackground(folder: RunFolder) throws {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let arguments = [executable] + CommandLine.arguments.dropFirst().filter { $0 != "--detach" }
        let environment = ProcessInfo.processInfo.environment.merging([Self.detachedFolderVariable: folder.url.path]) {
            $1
        }
        .map { "\($0)=\($1)" }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26), which Glibc's Swift module does not import.
        posix_spawnattr_setflags(&attributes, 0x80)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, STDOUT_FILENO, folder.logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        // Whatever else this process holds open (a pipe its caller reads to the end, say) must not
        // live on in the run, or the caller would wait for the whole run.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > STDERR_FILENO { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        }
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw UsageError(
                "\(executable): cannot start the run in the background: \(String(cString: strerror(status)))")
        }
        print("\(folder.name) started in \(folder.url.path) (pid \(pid)); watch it with: convtop attach \(folder.name)")
    }

    /// A resumed run keeps writing into the folder of the checkpoint it came from, unless told
    /// otherwise; a run started by `--detach` writes into the folder that made for it.
    private func runFolder(resumingFrom checkpoint: String?) throws -> RunFolder {
        if !detach, let path = ProcessInfo.processInfo.environment[Self.detachedFolderVariable] {
            return RunFolder(url: URL(fileURLWithPath: path))
        }
        if let checkpoint, runDir == nil, name == nil {
            return RunFolder(url: URL(fileURLWithPath: checkpoint).deletingLastPathComponent().standardizedFileURL)
        }
        return try RunFolder.create(directory: runDir, name: name)
    }
}
