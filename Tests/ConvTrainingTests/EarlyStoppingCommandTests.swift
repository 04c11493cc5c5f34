import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// `--patience`, `--monitor`, `--best` and `--exclude` through the built `convtop`.
@Suite struct EarlyStoppingCommandTests {
    @Test func patienceKeepsTheBestModelForEvalAndExcludeLeavesMarkedImagesOut() throws {
        let folder = try IDXWriter.stripesFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let common = [
            "--data", folder.path, "--model", "lenet", "--batch-size", "16", "--lr", "0.01", "--optimizer", "adam",
            "--augment", "none", "--threads", "1", "--seed", "3",
        ]
        // A minimum change no loss can beat after the first epoch: epochs 2 and 3 do not improve.
        // (The fast recipe tests grey images every 5 epochs; here after each.)
        let first = try ConvtopProcess.run(
            [
                "train", "--headless", "--epochs", "10", "--eval-every", "1", "--run-dir", run.path, "--patience", "2",
                "--min-delta", "100",
            ] + common, in: folder)
        #expect(first.status == 0, "stderr: \(first.errors)")
        #expect(first.output.contains("best test_loss "), "\(first.output)")
        #expect(first.output.contains("at epoch 1, step 15"), "\(first.output)")
        #expect(first.output.contains("early stop at step 45: test_loss has not improved"), "\(first.output)")
        #expect(first.output.contains("finished: 45 steps, 3 epochs"), "\(first.output)")

        let best = run.appendingPathComponent("best.safetensors").path
        let evaluation = try ConvtopProcess.run(["eval", run.path, "--best", "--data", folder.path], in: folder)
        #expect(evaluation.status == 0, "stderr: \(evaluation.errors)")
        #expect(evaluation.output.contains("checkpoint: \(best) (lenet, step 15)"), "\(evaluation.output)")

        // Two test images marked, one by a name with every character CSV quotes in its note.
        let marks = [
            ImageMark(split: .test, index: 0, kind: .drop, trueLabel: 0, predictedLabel: 1, note: "a, \"b\"\nc"),
            ImageMark(split: .test, index: 59, kind: .mislabelled, trueLabel: 2, predictedLabel: 0),
        ]
        let names = ["class 0", "class 1", "class 2"]
        try Data(MarksFile.text(marks, classNames: names).utf8).write(to: run.appendingPathComponent("marks.csv"))
        let second = try ConvtopProcess.run(
            ["train", "--headless", "--epochs", "1", "--name", "second", "--exclude", run.path] + common, in: folder)
        #expect(second.status == 0, "stderr: \(second.errors)")
        #expect(
            second.output.contains("--exclude: left out 2 images marked in \(run.path)/marks.csv"), "\(second.output)")
        #expect(second.output.contains("test after epoch 1"), "\(second.output)")
        let journal = try MetricsJournal.read(
            folder.appendingPathComponent("runs/second/metrics.jsonl"))
        let started = journal.compactMap { if case .started(let s) = $0.event { s } else { nil } }.first
        #expect(started?.testCount == 58)
    }

    @Test(arguments: [
        (["train", "--patience", "0"], "--patience must be at least 1 epoch, got 0"),
        (["train", "--min-delta", "-1"], "--min-delta must be 0 or more, got -1.0"),
        (["train", "--monitor", "train_loss"], "'val_loss', 'val_accuracy', 'test_loss' or 'test_accuracy'"),
        (["train", "--exclude", "/nonexistent/marks.csv"], "/nonexistent/marks.csv: cannot read the file"),
    ])
    func badOptionsAreOneLineWithStatus2(arguments: [String], message: String) throws {
        let folder = try IDXWriter.stripesFolder(train: 32, test: 16)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try ConvtopProcess.run(arguments + ["--headless", "--data", folder.path], in: folder)
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("convtop: ") && result.errors.contains(message), "stderr: \(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1)
    }
}
