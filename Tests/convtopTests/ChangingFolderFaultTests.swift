import ConvData
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// An image folder that changes under a running trainer: files added, deleted and truncated.
///
/// A run decodes every file once, before its first step (into memory, or into the decode cache it
/// then reads in place), and never opens the folder again: batches, evaluations, thumbnails and the
/// file names of the misclassified browser and of marks all come from that decode. So the run
/// trains on what it had, and the changes show where convtop reads the folder again: `predict`,
/// `eval`, `train --resume` and `train --exclude`.
@Suite(.enabled(if: ImageFolderSandbox.canRun, "needs the convtop binary built beside the tests"), .serialized)
struct ChangingFolderFaultTests {
    @Test func aRunTrainsOnWhatItDecodedWhileItsFolderChanges() throws {
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        let run = try sandbox.startDetached()
        try sandbox.waitForEvent(run, "an evaluation") { if case .evaluation = $0 { true } else { false } }
        let connection = try sandbox.connect(run)
        connection.send(
            .markImage(ImageMark(split: .validation, index: 0, kind: .drop, trueLabel: 0, predictedLabel: 1)))
        let marked = try sandbox.waitForEvent(run, "the mark") { if case .imageMarked = $0 { true } else { false } }
        guard case .imageMarked(let mark) = marked else { return }
        let markedFile = try #require(mark.file)

        let changedAt = Self.lastStep(sandbox.journal(run))
        let truncated = try change(sandbox, deleting: [markedFile])
        // Three epochs of 6 steps after the change, each evaluated on the 16 validation images it began with.
        try sandbox.waitForEvent(run, "an evaluation 18 steps after the change") {
            if case .evaluation(let evaluation) = $0 { evaluation.step >= changedAt + 18 } else { false }
        }
        #expect(sandbox.state(run) == "running")
        let events = sandbox.journal(run)
        for case .evaluation(let evaluation) in events {
            #expect(evaluation.confusion.counts.joined().reduce(0, +) == 16, "step \(evaluation.step)")
        }
        let problems = events.filter {
            switch $0 {
            case .warning, .failed: true
            default: false
            }
        }
        #expect(problems.isEmpty, "\(problems)")
        #expect(sandbox.convtop(["stop", "--runs-dir", sandbox.runs, "run"]).status == 0)
        try sandbox.waitForState(run, "stopped")

        // predict reads the files it is given: the truncated one is named, the others labelled.
        let predicted = sandbox.convtop(["predict", run, sandbox.photos.appendingPathComponent("val").path])
        #expect(predicted.status == 1)
        #expect(predicted.output.split(separator: "\n").count == 14, "\(predicted.output)")
        let brokenValidation = sandbox.photos.appendingPathComponent("val/top/1.png").path
        #expect(predicted.errors.hasPrefix("convtop: \(brokenValidation): "), "\(predicted.errors)")
        #expect(predicted.errors.split(separator: "\n").count == 1, "\(predicted.errors)")

        // eval and --resume read the folder afresh, naming the files they skip.
        let evaluated = sandbox.convtop(["eval", run])
        #expect(evaluated.status == 0, "\(evaluated.errors)")
        #expect(evaluated.output.contains("14 validation images"), "\(evaluated.output)")
        let epoch = try TrainingCheckpoint.load(fileOrRunFolder: run).checkpoint.position.epoch
        let resumed = sandbox.convtop(["train", "--headless", "--resume", run, "--until-epoch", String(epoch + 2)])
        #expect(resumed.status == 0, "\(resumed.errors)")
        let warning = try #require(
            sandbox.journal(run).lazy.compactMap {
                if case .warning(let message) = $0, message.hasPrefix("skipped") { message } else { nil }
            }.last)
        #expect(warning.hasPrefix("skipped \(truncated.count) image files that could not be decoded: "), "\(warning)")
        for file in truncated { #expect(warning.contains(file + ": "), "\(file) is not named in: \(warning)") }

        // --exclude reads the marks against the folder as it is now: the marked file is gone.
        let excluded = sandbox.trainOneEpoch(into: sandbox.runs + "/again", ["--exclude", run + "/marks.csv"])
        #expect(excluded.status == 0, "\(excluded.errors)")
        #expect(excluded.output.contains("left out 0 images marked in \(run)/marks.csv; 1 marks name no image of it"))
    }

    /// A run resumed on a folder that lost images since its checkpoint: the epoch it stood in has
    /// fewer batches now than it had trained of it, so it goes on with the next epoch and says so.
    @Test func aResumeOnAFolderThatLostImagesGoesOnWithTheNextEpoch() throws {
        let sandbox = try ImageFolderSandbox()
        defer { sandbox.end() }
        // No saves or evaluations at epoch ends: on a busy disk a save took far longer than the
        // epoch's 6 steps, so nearly every pause landed right after one, at batch 0.
        let run = try sandbox.startDetached(options: ["--save-every", "0", "--eval-every", "100000"])
        try sandbox.waitForEvent(run, "the first step") { if case .step = $0 { true } else { false } }
        let connection = try sandbox.connect(run)
        // A checkpoint past the first batch of its epoch, the run left paused so that no later save
        // replaces it.
        var position = BatchPosition(epoch: 0, batch: 0)
        for attempt in 0..<20 where position.batch == 0 {
            if attempt > 0 { connection.send(.resume) }
            // A step of the running run first: a pause queued behind a resume would take effect
            // before any step.
            try connection.waitForEvent("a step") { if case .step = $0 { true } else { false } }
            connection.send(.pause)
            let paused = try connection.waitForEvent("the pause") { if case .paused = $0 { true } else { false } }
            connection.send(.save(path: nil))
            try connection.waitForEvent("the save") {
                if case .checkpointSaved(_, let step) = $0, case .paused(let pausedAt, _) = paused {
                    step == pausedAt
                } else {
                    false
                }
            }
            position = try TrainingCheckpoint.load(fileOrRunFolder: run).checkpoint.position
        }
        try #require(position.batch > 0)
        try sandbox.killTrainer(try #require(sandbox.pid(run)))
        try sandbox.waitForState(run, "dead")

        // One image of each class left: one batch an epoch.
        for name in ["top", "bottom"] {
            for i in 1..<24 {
                try FileManager.default.removeItem(at: sandbox.photos.appendingPathComponent("train/\(name)/\(i).png"))
            }
        }
        let resumed = sandbox.convtop(
            ["train", "--headless", "--resume", run, "--until-epoch", String(position.epoch + 3)])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(
            resumed.output.contains(
                "warning: the checkpoint stands at batch \(position.batch + 1) of epoch \(position.epoch + 1), but "
                    + "the data's epochs now end after batch 1 (2 training images); training continues with epoch "
                    + "\(position.epoch + 2)"), "\(resumed.output)")
        #expect(resumed.output.contains("finished: "), "\(resumed.output)")
    }

    /// Adds four training files, deletes six (and `deleting`) and truncates five (one of them in
    /// `val`); returns the truncated files' paths, as the folder lists them.
    private func change(_ sandbox: ImageFolderSandbox, deleting extra: [String]) throws -> [String] {
        let manager = FileManager.default, photos = sandbox.photos
        for i in 0..<4 { try sandbox.addImage("train/top/new-\(i).png", top: true, noise: 50 + i) }
        for i in 0..<6 { try manager.removeItem(at: photos.appendingPathComponent("train/bottom/\(i).png")) }
        for file in extra { try manager.removeItem(at: photos.appendingPathComponent(file)) }
        let truncated = ["train/top/0.png", "train/top/1.png", "train/top/2.png", "train/top/3.png", "val/top/1.png"]
        for file in truncated {
            let handle = try FileHandle(forWritingTo: photos.appendingPathComponent(file))
            try handle.truncate(atOffset: 40)
            try handle.close()
        }
        return truncated
    }

    private static func lastStep(_ events: [TrainingEvent]) -> Int {
        events.lazy.compactMap { if case .step(let metrics) = $0 { metrics.step } else { nil } }.last ?? 0
    }
}
