import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// A full disk under each file convtop replaces: the decode cache, a checkpoint, an export and a
/// run's `marks.csv`, each on a tmpfs of its own filled to the brim. Each failure is one line that
/// names the file, ends the command with a non-zero status when it ends the command, and leaves
/// the earlier file byte for byte as it was, with no temporary file beside it.
@Suite(
    .enabled(
        if: ImageFolderSandbox.canRun && SmallFileSystem.unavailableReason == nil,
        "needs the convtop binary and permission to mount a tmpfs (root); the mount's error is printed above"),
    .serialized)
struct DiskFullFaultTests {
    /// The cache only saves decoding time, so a cache that cannot be written is a warning: the
    /// images are decoded in memory and the command goes on.
    @Test func aDecodeCacheThatDoesNotFitIsAWarningAndTheOldCacheStays() throws {
        let disk = try SmallFileSystem(megabytes: 1)
        defer { disk.unmount() }
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        sandbox.cache = disk.mountPoint
        let info = ["data", "info", sandbox.photos.path, "--image-size", "16", "--channels", "1"]
        try #require(sandbox.convtop(info).status == 0)
        let old = try disk.files()
        try #require(old.count == 1 && old.keys.first?.hasSuffix(".images") == true, "\(old.keys)")

        // A new file makes the cache stale, so it is written again, onto a full disk.
        try sandbox.addImage("train/top/added.png", top: true, noise: 99)
        try disk.fill()
        let listed = sandbox.convtop(info)
        #expect(listed.status == 0, "\(listed.errors)")
        #expect(listed.output.split(separator: "\n").contains("train    49"), "\(listed.output)")
        let cacheFile = disk.path(try #require(old.keys.first))
        #expect(
            listed.errors.contains(
                "convtop: \(cacheFile): cannot write the decode cache (No space left on device); decoding without it\n"),
            "\(listed.errors)")
        let trained = sandbox.trainOneEpoch(into: sandbox.runs + "/run")
        #expect(trained.status == 0 && trained.output.contains("finished: "), "\(trained.errors)")
        #expect(trained.errors.contains("\(cacheFile): cannot write the decode cache"), "\(trained.errors)")
        #expect(try disk.files(leavingOutFillers: true) == old)
    }

    /// The end of a run is saved in its checkpoint; when that cannot be written the run fails
    /// (exit status 1) with the reason, and the previous checkpoint stays for `--resume`.
    @Test func aCheckpointThatDoesNotFitFailsTheRunAndTheOldOneStays() throws {
        let disk = try SmallFileSystem(megabytes: 2)
        defer { disk.unmount() }
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        let run = disk.path("run")
        let first = sandbox.trainOneEpoch(into: run)
        try #require(first.status == 0, "\(first.errors)")
        let old = try disk.files()
        try #require(old["run/checkpoint.safetensors"] != nil, "\(old.keys)")

        try disk.fill()
        let resumed = sandbox.convtop(["train", "--headless", "--resume", run, "--until-epoch", "3"])
        #expect(resumed.status == 1)
        let failure = "\(run)/checkpoint.safetensors: cannot write \(run)/.checkpoint.safetensors.tmp-"
        #expect(resumed.output.contains("warning: checkpoint not saved: \(failure)"), "\(resumed.output)")
        #expect(resumed.output.contains("error: step 18: the end of the run could not be saved: \(failure)"))
        #expect(resumed.output.contains("No space left on device; the previous file is unchanged"))
        #expect(!resumed.output.contains("finished: "))
        let after = try disk.files(leavingOutFillers: true)
        #expect(after["run/checkpoint.safetensors"] == old["run/checkpoint.safetensors"])
        #expect(after.keys.filter { $0.hasPrefix("run/.") }.isEmpty, "\(after.keys)")
    }

    /// An export that does not fit ends with status 2 and one line naming the file; an earlier
    /// export stays whole (for PyTorch: its model.py and its weights, never one new and one old).
    @Test(arguments: ["onnx", "pytorch"])
    func anExportThatDoesNotFitFailsAndTheEarlierExportStays(_ format: String) throws {
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        let run = sandbox.runs + "/run"
        let trained = sandbox.trainOneEpoch(into: run)
        try #require(trained.status == 0, "\(trained.errors)")
        let disk = try SmallFileSystem(megabytes: 1)
        defer { disk.unmount() }
        let output = disk.path(format == "onnx" ? "model.onnx" : "model")
        // The earlier export's files; their bytes differ from anything the export writes.
        let earlier = format == "onnx" ? ["model.onnx"] : ["model/model.py", "model/model.safetensors"]
        for file in earlier { try disk.write("an earlier export's \(file)\n", to: file) }
        let old = try disk.files()

        // Room for model.py (2 KB) but not for the weights (60 KB).
        try disk.fill(leaving: format == "onnx" ? 0 : 16 << 10)
        let exported = sandbox.convtop(["export", run, "--format", format, "--output", output])
        #expect(exported.status == 2)
        let target = format == "onnx" ? output : output + "/model.safetensors"
        #expect(exported.errors.hasPrefix("convtop: \(target): cannot write: "), "\(exported.errors)")
        #expect(exported.errors.split(separator: "\n").count == 1, "\(exported.errors)")
        #expect(try disk.files(leavingOutFillers: true) == old)
    }

    /// A mark is kept by a running trainer; one that cannot be written is a warning to the viewer
    /// that sent it, naming the file, and the run goes on with `marks.csv` as it was.
    @Test func aMarkThatDoesNotFitIsAWarningAndMarksCsvStays() throws {
        let disk = try SmallFileSystem(megabytes: 2)
        defer { disk.unmount() }
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        let run = try sandbox.startDetached(folder: disk.path("run"))
        try sandbox.waitForEvent(run, "an evaluation") { if case .evaluation = $0 { true } else { false } }
        let connection = try sandbox.connect(run)
        connection.send(.pause)
        connection.send(
            .markImage(ImageMark(split: .validation, index: 0, kind: .drop, trueLabel: 0, predictedLabel: 1)))
        try connection.waitForEvent("the first mark") { if case .imageMarked = $0 { true } else { false } }
        let old = try disk.files()
        try #require(old["run/marks.csv"] != nil)

        try disk.fill()
        connection.send(
            .markImage(ImageMark(split: .validation, index: 1, kind: .mislabelled, trueLabel: 0, predictedLabel: 1)))
        let warning = try connection.waitForEvent("the refusal") { if case .warning = $0 { true } else { false } }
        guard case .warning(let message) = warning else { return }
        #expect(message.hasPrefix("mark not kept: \(run)/marks.csv: cannot write \(run)/.marks.csv.tmp-"), "\(message)")
        #expect(message.hasSuffix(": No space left on device; the previous file is unchanged"), "\(message)")
        #expect(try disk.files(leavingOutFillers: true)["run/marks.csv"] == old["run/marks.csv"])
        #expect(try disk.files(leavingOutFillers: true).keys.filter { $0.hasPrefix("run/.") }.isEmpty)
        #expect(sandbox.state(run) == "paused")
    }
}

extension SmallFileSystem {
    /// Every file in the file system by relative path, with its bytes; with `leavingOutFillers`,
    /// without the files `fill` made.
    func files(leavingOutFillers: Bool = false) throws -> [String: Data] {
        var files = [String: Data]()
        guard let walker = FileManager.default.enumerator(atPath: mountPoint.path) else { return files }
        for case let relative as String in walker {
            var isFolder: ObjCBool = false
            let full = path(relative)
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue,
                !(leavingOutFillers && relative.hasPrefix("filler-"))
            else { continue }
            // The socket and the pid file of a run are not files to compare.
            if relative.hasSuffix("control.sock") { continue }
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
        }
        return files
    }

    func write(_ text: String, to relative: String) throws {
        let url = mountPoint.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
