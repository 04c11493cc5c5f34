import ConvData
import ConvEngine
import ConvTraining
import Foundation
import Testing

/// Runs the built `convtop` executable, which sits next to the test bundle.
struct ConvtopProcess {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("convtop")
    }

    let process = Process()
    let output = Pipe()
    let errors = Pipe()

    init(_ arguments: [String], in folder: URL) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    /// Waits for the process; returns its status, standard output and standard error.
    func finish() -> (status: Int32, output: String, errors: String) {
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    static func run(_ arguments: [String], in folder: URL) throws -> (status: Int32, output: String, errors: String) {
        try ConvtopProcess(arguments, in: folder).finish()
    }
}

/// Writes an MNIST-style IDX dataset (uncompressed) from an image set.
enum IDXWriter {
    static func write(_ images: ImageSet, prefix: String, to folder: URL) throws {
        func header(_ magic: UInt32, _ dimensions: [Int]) -> [UInt8] {
            ([magic] + dimensions.map { UInt32($0) }).flatMap { value in
                (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
            }
        }
        let d = images.dimensions
        try Data(header(0x0803, [images.count, d.height, d.width]) + images.pixels)
            .write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
        try Data(header(0x0801, [images.count]) + images.labels.map { UInt8($0) })
            .write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
    }

    /// The stripes dataset as IDX files in a new temporary folder.
    static func stripesFolder(train: Int = 240, test: Int = 60) throws -> URL {
        let folder = temporaryFolder()
        let dataset = StripesDataset.dataset(train: train, test: test)
        try write(dataset.train, prefix: "train", to: folder)
        try write(dataset.test, prefix: "t10k", to: folder)
        return folder
    }
}

@Suite struct TrainCommandTests {
    @Test(arguments: [
        (["train", "--lr=-1"], "--lr must be a positive number"),
        (["train", "--lr", "-1"], "--lr must be a positive number, got -1.0"),
        (["train", "--momentum", "-0.5"], "--momentum must be in [0, 1), got -0.5"),
        (["train", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["train", "--eval-every", "0"], "--eval-every must be at least 1 epoch, got 0"),
        (["train", "--cutout", "-1"], "--cutout must be 0 or more pixels, got -1"),
        (
            ["train", "--model", "alexnet"],
            "alexnet: no such network file, and no preset of that name (lenet, convnet5, resnet9, resnet9small, resnet6)"
        ),
        (
            ["model", "summary", "lenet", "--input", "3x8x8"],
            "lenet:5:8: conv with kernel 5 does not fit its 2x2 input"
        ),
        (["train", "--optimizer", "rmsprop"], "The value 'rmsprop' is invalid for '--optimizer <name>'"),
        (
            ["train", "--augment", "bogus"],
            "The value 'bogus' is invalid for '--augment <mode>'. Please provide one of 'none', 'flip', 'crop', "
                + "'crop-flip', 'resized', 'standard'."
        ),
        (["train", "--data", "/nonexistent/cifar"], "/nonexistent/cifar"),
        (["eval", "/nonexistent/checkpoint.safetensors"], "/nonexistent/checkpoint.safetensors: no such file"),
    ])
    func badOptionsGiveOneLineAndStatus2(arguments: [String], message: String) throws {
        let result = try ConvtopProcess.run(arguments, in: FileManager.default.temporaryDirectory)
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("convtop: "))
        #expect(result.errors.contains(message), "stderr: \(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1)
    }

    /// Help lists every choice of an option from its type, and the parser names them when refusing one.
    @Test func choicesComeFromTheirTypes() throws {
        let help = try ConvtopProcess.run(["train", "--help"], in: FileManager.default.temporaryDirectory)
        #expect(help.status == 0)
        // Help wraps at the terminal's width; compare the words.
        let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for preset in ModelPreset.allCases {
            #expect(
                text.contains("\(preset.rawValue) - \(preset.description)"), "\(preset) missing from:\n\(help.output)")
        }
        #expect(text.contains("values: sgd, adam, adamw"), "\(help.output)")
        #expect(text.contains("values: constant, step, cosine, onecycle"), "\(help.output)")
        #expect(text.contains("values: none, flip, crop, crop-flip, resized, standard"), "\(help.output)")
        #expect(text.contains("values: auto, ascii; default: auto"), "\(help.output)")

        let refused = try ConvtopProcess.run(
            ["train", "--schedule", "linear"], in: FileManager.default.temporaryDirectory)
        #expect(refused.status == 2)
        #expect(refused.errors.contains("'constant', 'step', 'cosine' or 'onecycle'"), "stderr: \(refused.errors)")
    }

    /// A checkpoint is checked against the data before its model is built: the message names the
    /// checkpoint file, what it was trained on and what the data holds.
    @Test func evaluatingOnOtherImagesNamesTheCheckpoint() throws {
        let folder = try IDXWriter.stripesFolder(train: 32, test: 16)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("cifar.safetensors").path
        try cifarCheckpoint(Recipe.tutorial.configuration(channels: 3, allowsHorizontalFlip: true)).write(to: file)
        let result = try ConvtopProcess.run(["eval", file, "--data", folder.path], in: folder)
        #expect(result.status == 2)
        #expect(
            result.errors.hasPrefix("convtop: \(file): trained on cifar10 (10 classes of 3x32x32), but "),
            "stderr: \(result.errors)")
        #expect(result.errors.hasSuffix(" has 3 classes of 1x16x16\n"), "stderr: \(result.errors)")
    }

    @Test func aDamagedDataFileIsNamedWithStatus2() throws {
        let folder = try IDXWriter.stripesFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("train-images-idx3-ubyte")
        let bytes = try Data(contentsOf: images)
        try bytes.prefix(bytes.count - 100).write(to: images)
        let result = try ConvtopProcess.run(["train", "--headless", "--data", folder.path], in: folder)
        #expect(result.status == 2)
        #expect(result.errors.contains("train-images-idx3-ubyte"), "stderr: \(result.errors)")
    }

    /// A mistyped --freeze is refused before the run folder is made, like any other bad option.
    @Test func aFreezePrefixThatNamesNoLayerIsRefusedBeforeTheRunFolder() throws {
        let folder = try IDXWriter.stripesFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try ConvtopProcess.run(
            [
                "train", "--headless", "--data", folder.path, "--model", "lenet", "--freeze", "conv9", "--name",
                "frozen",
            ],
            in: folder)
        #expect(result.status == 2)
        #expect(
            result.errors == "convtop: --freeze conv9 names no layer with parameters in lenet\n",
            "stderr: \(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/frozen").path))
    }

    /// A cutout wider than the images is refused before the run folder is made; one that fits
    /// trains, and the checkpoint keeps it for a resume.
    @Test func aCutoutMustFitTheImagesAndTheCheckpointKeepsIt() throws {
        let folder = try IDXWriter.stripesFolder(train: 32, test: 16)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let common = ["train", "--headless", "--data", folder.path, "--model", "lenet", "--run-dir", run.path]
        let refused = try ConvtopProcess.run(common + ["--cutout", "17"], in: folder)
        #expect(refused.status == 2)
        #expect(refused.errors == "convtop: --cutout 17 is larger than the 16x16 images\n", "stderr: \(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
        let trained = try ConvtopProcess.run(
            common + ["--cutout", "16", "--epochs", "1", "--threads", "1"], in: folder)
        #expect(trained.status == 0, "stderr: \(trained.errors)")
        #expect(try TrainingCheckpoint.load(fileOrRunFolder: run.path).checkpoint.configuration.cutout == 16)
    }

    @Test func trainEvalAndResumeEndToEnd() throws {
        let folder = try IDXWriter.stripesFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let common = [
            "--data", folder.path, "--model", "lenet", "--batch-size", "16", "--lr", "0.01",
            "--optimizer", "adam", "--augment", "none", "--threads", "1", "--seed", "3",
        ]
        let first = try ConvtopProcess.run(
            [
                "train", "--headless", "--epochs", "2", "--until-epoch", "1",
                "--run-dir", run.path,
            ] + common, in: folder)
        #expect(first.status == 0, "stderr: \(first.errors)")
        let checkpoint = run.appendingPathComponent("checkpoint.safetensors").path
        #expect(first.output.contains("checkpoint: \(checkpoint)"))
        #expect(first.output.contains("test after epoch 1"))

        let evaluation = try ConvtopProcess.run(["eval", run.path, "--data", folder.path], in: folder)
        #expect(evaluation.status == 0, "stderr: \(evaluation.errors)")
        #expect(evaluation.output.contains("confusion matrix:"))
        #expect(evaluation.output.contains("60 test images"))

        let switched = try ConvtopProcess.run(
            ["train", "--headless", "--resume", run.path, "--data", folder.path, "--lookahead"], in: folder)
        #expect(switched.status == 2)
        #expect(
            switched.errors == "convtop: --lookahead cannot change when resuming: \(checkpoint) trains without one\n",
            "stderr: \(switched.errors)")

        let second = try ConvtopProcess.run(
            ["train", "--headless", "--resume", run.path, "--data", folder.path],
            in: folder)
        #expect(second.status == 0, "stderr: \(second.errors)")
        #expect(second.output.contains("resuming from \(checkpoint) at step 15"))
        #expect(second.output.contains("finished: 30 steps, 2 epochs"))
        let records = try MetricsJournal.read(run.appendingPathComponent("metrics.jsonl"))
        #expect(records.filter { $0.event.journalType == "started" }.map(\.step) == [0, 15])
        #expect(records.filter { $0.event.journalType == "evaluation" }.map(\.step) == [15, 30])
    }

    /// `convtop eval` computes in the precision the run trained in, so it repeats the run's own last
    /// evaluation to the last digit.
    @Test func evalRepeatsTheRunsFiguresInItsPrecision() throws {
        let folder = try IDXWriter.stripesFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let trained = try ConvtopProcess.run(
            [
                "train", "--headless", "--data", folder.path, "--model", "convnet5", "--epochs", "1",
                "--batch-size", "16", "--threads", "1", "--precision", "bf16", "--run-dir", run.path,
            ], in: folder)
        #expect(trained.status == 0, "stderr: \(trained.errors)")
        let evaluated = try ConvtopProcess.run(["eval", run.path, "--data", folder.path], in: folder)
        #expect(evaluated.status == 0, "stderr: \(evaluated.errors)")
        func figures(_ output: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix("test after epoch 1:") }.map(String.init)
        }
        #expect(figures(trained.output) != nil, "\(trained.output)")
        #expect(figures(evaluated.output) == figures(trained.output), "\(evaluated.output)")
    }

    /// Test flips are off for data whose mirror image may mean something else (the stripes are an
    /// unknown IDX dataset, treated like digits) unless asked for, test shifts off for grey images
    /// (the recipe does not crop them) unless asked for, and an explicit choice wins.
    @Test(arguments: [
        ([String](), ""), (["--test-flips"], "test flips, "), (["--augment", "none", "--test-flips"], "test flips, "),
        (["--augment", "flip", "--no-test-flips"], ""), (["--augment", "crop", "--test-shifts"], "test shifts, "),
        (["--test-flips", "--test-shifts"], "test flips and shifts, "),
    ])
    func testViewsFollowTheDataAndTheOptions(options: [String], views: String) throws {
        let folder = try IDXWriter.stripesFolder(train: 32, test: 16)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try ConvtopProcess.run(
            [
                "train", "--headless", "--data", folder.path, "--model", "lenet",
                "--epochs", "1", "--batch-size", "16", "--threads", "1",
                "--run-dir", folder.appendingPathComponent("run").path,
            ] + options,
            in: folder)
        #expect(result.status == 0, "stderr: \(result.errors)")
        let start = result.output.split(separator: "\n").first { $0.contains(" steps of ") } ?? ""
        #expect(start.contains(", \(views)1 thread"), "\(result.output)")
    }

    @Test func sigtermFinishesTheStepSavesAndExits0() throws {
        let folder = try IDXWriter.stripesFolder(train: 3000)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let process = try ConvtopProcess(
            [
                "train", "--headless", "--data", folder.path, "--model", "lenet",
                "--epochs", "1000", "--batch-size", "4", "--run-dir", run.path,
            ], in: folder)
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline
            && !((try? MetricsJournal.read(metrics))?.contains { $0.event.journalType == "step" } ?? false)
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.process.terminate()
        let result = process.finish()
        #expect(result.status == 0, "stderr: \(result.errors)")
        let checkpoint = run.appendingPathComponent("checkpoint.safetensors").path
        #expect(result.output.contains("checkpoint: \(checkpoint)"))
        #expect(try TrainingCheckpoint.read(from: checkpoint).step > 0)
    }

    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// A short version of the default run on the real data: the default recipe and its grey-image
    /// preset (resnet6, a quarter of resnet9's work) for two epochs instead of ten, without
    /// augmentation, which pays off only over more epochs.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionMNIST)))
    func theDefaultPresetReaches90PercentOnFashionMNIST() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try ConvtopProcess.run(
            [
                "train", "--headless", "--data", Self.fashionMNIST, "--epochs", "2",
                "--augment", "none",
                "--run-dir", folder.appendingPathComponent("run").path,
            ], in: folder)
        #expect(result.status == 0, "stderr: \(result.errors)")
        // The recipe's test flips go with its training flips.
        #expect(!result.output.contains("test flips"), "\(result.output)")
        let records = try MetricsJournal.read(folder.appendingPathComponent("run/metrics.jsonl"))
        let accuracy = records.compactMap { record -> Float? in
            if case .evaluation(let e) = record.event, e.split == .test { e.accuracy } else { nil }
        }.last
        #expect((accuracy ?? 0) >= 0.90, "test accuracy \(accuracy ?? 0)\n\(result.output)")
    }
}
