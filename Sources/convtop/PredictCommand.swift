import ArgumentParser
import ConvData
import ConvEngine
import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// `convtop predict CHECKPOINT IMAGE_OR_FOLDER...`: what a trained model sees in new images.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Label PNG and JPEG images with a checkpoint: the most probable classes of each.",
        discussion: """
            Each image is prepared as the checkpoint's training images were: decoded, turned upright, \
            converted to its channels, scaled to cover its input size and centre-cropped to it, and \
            normalised with its statistics; test flips are averaged when the run used them. A folder \
            stands for every image file under it. On a terminal each line follows the image as the \
            model sees it, in half blocks (in ASCII with NO_COLOR). A file that cannot be read or \
            decoded is reported on standard error and the others are still labelled; the exit status \
            is then 1.
            """)

    @Argument(
        help: ArgumentHelp("A checkpoint file, or a run folder (its newest good checkpoint).", valueName: "checkpoint"))
    var checkpoint: String

    @OptionGroup var bestCheckpoint: BestCheckpointFlag

    @Argument(help: ArgumentHelp("Image files, or folders of them.", valueName: "image-or-folder"))
    var inputs: [String]

    @Option(help: "How many classes to show per image.")
    var top: Int = 3

    @Flag(help: "Print one JSON object per image: {\"file\", \"top\": [{\"class\", \"label\", \"probability\"}]}.")
    var json = false

    @Option(help: "Engine threads (default: every core).")
    var threads: Int?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one image or folder") }
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let (checkpoint, _) = try bestCheckpoint.load(checkpoint)
        let shape = checkpoint.imageShape
        var files = [String]()
        for input in inputs {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
                files += ImageFolderLoader.imageFiles(under: URL(fileURLWithPath: input))
            } else {
                files.append(input)
            }
        }
        var pixels = [UInt8](), names = [String](), failed = false
        for path in files {
            do {
                pixels += try ImageFolderLoader.centreCropped(
                    file: path, size: ImageSize(width: shape.width, height: shape.height), channels: shape.channels)
                names.append(path)
            } catch {
                failed = true
                FileHandle.standardError.write(Data("convtop: \(Self.message(error, file: path))\n".utf8))
            }
        }
        if !names.isEmpty {
            let images = ImageSet(
                dimensions: shape, pixels: pixels, labels: [Int32](repeating: 0, count: names.count),
                fileNames: names)
            let pool = ThreadPool(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let model = try checkpoint.makeModel(pool: pool)
            let evaluator = Evaluator(
                averagesMirrorImages: checkpoint.configuration.testFlips == true,
                averagesShiftedImages: checkpoint.configuration.testShifts == true)
            let ranked = evaluator.classify(model, images: images, normalization: checkpoint.normalization)
            let thumbnails = !json && isatty(STDOUT_FILENO) == 1
            for (index, (name, classes)) in zip(names, ranked).enumerated() {
                let text = line(file: name, classes: Array(classes.prefix(top)), classNames: checkpoint.classNames)
                guard thumbnails else {
                    print(text)
                    continue
                }
                let drawing = Self.thumbnail(
                    SampleImage(shape: ImageShape(shape), pixels: Array(images.image(at: index))))
                for (row, picture) in drawing.enumerated() { print(picture + (row == 0 ? "  " + text : "")) }
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// The image in half blocks, at most 32 columns by 16 rows (ASCII when NO_COLOR is set).
    static func thumbnail(_ image: SampleImage) -> [String] {
        let scale = min(1, 32 / Double(max(image.shape.width, image.shape.height)))
        let size = Thumbnail.cellSize(of: image.shape, scale: scale)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: size.width, height: size.height))
        let colourless = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        Thumbnail(image: image, mode: colourless ? .ascii : .halfBlock).render(area: buffer.area, buffer: &buffer)
        return colourless ? buffer.lines : buffer.ansiLines
    }

    /// The text or JSON line for one image.
    func line(file: String, classes: [ClassProbability], classNames: [String]) -> String {
        if json {
            let top = classes.map {
                "{\"class\":\(Self.quoted(classNames[$0.label])),\"label\":\($0.label),"
                    + "\"probability\":\(String(format: "%.6f", $0.probability))}"
            }
            return "{\"file\":\(Self.quoted(file)),\"top\":[\(top.joined(separator: ","))]}"
        }
        return "\(file): "
            + classes.map { "\(classNames[$0.label]) \(String(format: "%.1f%%", 100 * $0.probability))" }
            .joined(separator: ", ")
    }

    static func message(_ error: Error, file: String) -> String {
        if let error = error as? ImageDecodingError { return "\(file): \(error)" }
        return "\(error)"
    }

    /// `text` as a JSON string.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
