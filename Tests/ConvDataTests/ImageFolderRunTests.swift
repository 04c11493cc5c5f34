import Foundation
import ImageFixtures
import Testing

/// A run on an image folder, end to end through the built `convtop`: the run counts the files it
/// skipped, and its checkpoint alone is enough for `eval`, `train --resume` and `predict` while
/// the folder is where it was, and names the folder when it is not.
@Suite struct ImageFolderRunTests {
    /// `photos/train` and `photos/val` with two classes, and one file in `train` that is not an image.
    static func writePhotos(to root: URL) throws {
        for (split, count) in [("train", 8), ("val", 4)] {
            for i in 0..<count {
                try ImageFiles.write(ImageFiles.bandPNG(top: true, noise: i), to: root, "\(split)/top/\(i).png")
                try ImageFiles.write(ImageFiles.bandPNG(top: false, noise: i), to: root, "\(split)/bottom/\(i).png")
            }
        }
        try ImageFiles.write([], to: root, "train/top/empty.png")
    }

    /// Runs the `convtop` built beside the tests, with its decode cache in `folder`.
    static func convtop(_ arguments: [String], in folder: URL) throws -> (status: Int32, output: String, errors: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("convtop")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["CONVTOP_CACHE_DIR"] = folder.appendingPathComponent("cache").path
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func theCheckpointFindsItsFolderAndNamesItWhenGone() throws {
        let temp = try TemporaryFolder()
        let photos = try temp.folder("photos"), run = temp.url.appendingPathComponent("run")
        try Self.writePhotos(to: photos)
        let trained = try Self.convtop(
            [
                "train", "--headless", "--data", photos.path, "--model", "lenet", "--epochs", "2", "--until-epoch", "1",
                "--batch-size", "4", "--augment", "none", "--threads", "1", "--run-dir", run.path,
            ], in: temp.url)
        try #require(trained.status == 0, "stderr: \(trained.errors)")
        let started = try #require(
            try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").first)
        let fields = try #require(JSONSerialization.jsonObject(with: Data(started.utf8)) as? [String: Any])
        #expect(fields["skipped_files"] as? Int == 1, "\(started)")

        let evaluated = try Self.convtop(["eval", run.path], in: temp.url)
        #expect(evaluated.status == 0, "stderr: \(evaluated.errors)")
        #expect(evaluated.output.contains("data: \(photos.path), 8 validation images"), "\(evaluated.output)")

        let resumed = try Self.convtop(["train", "--headless", "--resume", run.path], in: temp.url)
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("resuming from "), "\(resumed.output)")
        #expect(resumed.output.contains("finished: 8 steps, 2 epochs"), "\(resumed.output)")

        let predicted = try Self.convtop(
            ["predict", run.path, photos.appendingPathComponent("val").path], in: temp.url)
        #expect(predicted.status == 0, "stderr: \(predicted.errors)")
        #expect(predicted.output.split(separator: "\n").count == 8)

        let moved = temp.url.appendingPathComponent("photos-moved")
        try FileManager.default.moveItem(at: photos, to: moved)
        let lost = try Self.convtop(["eval", run.path], in: temp.url)
        #expect(lost.status == 2)
        #expect(lost.errors.hasPrefix("convtop: \(run.path)/"), "stderr: \(lost.errors)")
        #expect(
            lost.errors.hasSuffix(": trained on \(photos.path), which is no longer there; give --data PATH\n"),
            "stderr: \(lost.errors)")
        let pointed = try Self.convtop(["eval", run.path, "--data", moved.path], in: temp.url)
        #expect(pointed.status == 0, "stderr: \(pointed.errors)")
        #expect(pointed.output.contains("data: \(moved.path), 8 validation images"), "\(pointed.output)")
    }
}
