import ArgumentParser
import ConvEngine
import ConvTraining
import Foundation

/// `convtop export CHECKPOINT`: the trained model for other tools.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model as ONNX, or as a PyTorch module with its weights.",
        discussion: """
            Both take images scaled to [0, 1], shaped (N, C, H, W), and normalise them as training \
            did. onnx: one file (opset \(ModelExport.onnxOpset)) whose output is `logits`, with the \
            class names in its metadata. pytorch: a folder with model.py (class Net) and \
            model.safetensors, for Net().load_state_dict(load_file("model.safetensors")).
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case onnx, pytorch
    }

    @Argument(
        help: ArgumentHelp("A checkpoint file, or a run folder (its newest good checkpoint).", valueName: "checkpoint"))
    var checkpoint: String

    @OptionGroup var bestCheckpoint: BestCheckpointFlag

    @Option(help: "onnx or pytorch.")
    var format: Format

    @Option(help: ArgumentHelp("The .onnx file, or the folder for model.py and model.safetensors.", valueName: "path"))
    var output: String

    func run() throws {
        let (saved, file) = try bestCheckpoint.load(checkpoint)
        let engineCheckpoint = saved.checkpoint
        let export = try ModelExport(
            network: try engineCheckpoint.network(), tensors: engineCheckpoint.tensors,
            mean: saved.normalization.mean, std: saved.normalization.standardDeviation,
            classNames: saved.classNames, source: file)
        switch format {
        case .onnx:
            try Self.replace([(URL(fileURLWithPath: output), Data(export.onnx()))])
            print("wrote \(output): \(export.network.name), ONNX opset \(ModelExport.onnxOpset)")
        case .pytorch:
            let folder = URL(fileURLWithPath: output)
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw UsageError("\(output): cannot create the folder: \(error.localizedDescription)")
            }
            try Self.replace([
                (folder.appendingPathComponent("model.py"), Data(export.pytorchModule().utf8)),
                (folder.appendingPathComponent("model.safetensors"), Data(export.weights.serialized())),
            ])
            print(
                "wrote \(output)/model.py and model.safetensors: \(export.network.name), \(export.tensors.count) tensors"
            )
        }
    }

    /// Writes every file beside its target first and renames them into place only once all are
    /// whole, so that a failure (a full disk) leaves the files of an earlier export as they were:
    /// never a new model.py beside old weights.
    private static func replace(_ files: [(url: URL, data: Data)]) throws {
        let staged = files.map {
            $0.url.deletingLastPathComponent().appendingPathComponent(
                ".\($0.url.lastPathComponent).\(getpid()).partial")
        }
        defer { for url in staged { try? FileManager.default.removeItem(at: url) } }
        for (file, url) in zip(files, staged) {
            do {
                try file.data.write(to: url)
            } catch {
                throw UsageError("\(file.url.path): cannot write: \(error.localizedDescription)")
            }
        }
        for (file, url) in zip(files, staged) where rename(url.path, file.url.path) != 0 {
            throw UsageError("\(file.url.path): cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
