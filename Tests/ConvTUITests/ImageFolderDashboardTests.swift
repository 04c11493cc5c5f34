import ConvProtocol
import ConvTUI
import Foundation
import Testing

/// The dashboard of a run on an image folder: file names in the browser, the sample grid and the
/// confusion screen, the split in the browser's heading, and the skipped files in the header.
@Suite struct ImageFolderDashboardTests {
    static func fileName(_ p: Prediction) -> String {
        "val/c\(p.trueLabel)/photo_\(String(format: "%04d", p.index)).jpg"
    }

    /// SampleRun's events as a validation-split run on a folder of files, two of which were skipped.
    static func events() -> [TrainingEvent] {
        SampleRun.events().map { event in
            switch event {
            case .started(var summary):
                summary.skippedFileCount = 2
                return .started(summary)
            case .evaluation(var evaluation):
                evaluation.split = .validation
                for i in evaluation.samples.indices { evaluation.samples[i].fileName = fileName(evaluation.samples[i]) }
                for i in evaluation.misclassified.indices {
                    evaluation.misclassified[i].fileName = fileName(evaluation.misclassified[i])
                }
                return .evaluation(evaluation)
            default:
                return event
            }
        }
    }

    private func draw(_ state: DashboardState, width: Int = 80, height: Int = 24) -> [String] {
        var terminal = MemoryTerminal(width: width, height: height, capabilities: .init(colorDepth: .palette256))
        Dashboard.draw(state, options: .init(), on: &terminal)
        return terminal.lines
    }

    @Test func theBrowserNamesTheSplitAndTheFile() {
        var state = SampleRun.state(Self.events()).state
        _ = state.reduce(.openMisclassified)
        let lines = draw(state)
        #expect(lines[2].hasPrefix(" Misclassified validation images 1/5, highest loss first (all classes)"))
        // The information column starts after the 28-cell image and two spaces.
        #expect(lines[4].hasSuffix("  val/c6/photo_0010.jpg" + String(repeating: " ", count: 28)), "\(lines[4])")
        #expect(lines[5].contains("true:      Shirt"))
        _ = state.reduce(.move(rows: 1, columns: 0))
        #expect(draw(state)[4].contains("val/c4/photo_0011.jpg"))
    }

    /// Without file names the browser names the image by the split it is in.
    @Test func withoutFilesTheImageIsNamedByItsSplitAndIndex() {
        let events = SampleRun.events().map { event -> TrainingEvent in
            guard case .evaluation(var evaluation) = event else { return event }
            evaluation.split = .validation
            return .evaluation(evaluation)
        }
        var state = SampleRun.state(events).state
        _ = state.reduce(.openMisclassified)
        let lines = draw(state)
        #expect(lines[2].hasPrefix(" Misclassified validation images 1/5"))
        #expect(lines[4].contains("  validation image #10 "))
    }

    /// A path longer than the column keeps its end, where the file's own name is.
    @Test func aLongFileNameIsCutAtItsStart() {
        let long = "train/" + String(repeating: "deeply/nested/", count: 5) + "IMG_20261202_1234.jpg"
        var prediction = SampleRun.prediction(index: 3, trueLabel: 1, predicted: 2, loss: 1)
        prediction.fileName = long
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 20))
        MisclassifiedView(
            images: [prediction], index: 0, filter: .all, classNames: SampleRun.classNames, split: .test,
            mode: .ascii, theme: .color
        ).render(area: buffer.area, buffer: &buffer)
        let shown = buffer.lines[2].drop { $0 != "…" }.trimmingCharacters(in: .whitespaces)
        #expect(shown.hasSuffix("nested/IMG_20261202_1234.jpg"), "\(buffer.lines[2])")
        #expect(long.hasSuffix(shown.dropFirst()))
        #expect(shown.count == 80 - 28 - 2)
    }

    @Test func theSampleGridShowsFileNamesWhenARowIsSpare() {
        guard case .evaluation(let evaluation) = Self.events().last(where: { $0.journalType == "evaluation" }) else {
            Issue.record("no evaluation")
            return
        }
        func render(height: Int) -> Buffer {
            var buffer = Buffer(area: Rect(x: 0, y: 0, width: 90, height: height))
            PredictionGrid(samples: evaluation.samples, classNames: SampleRun.classNames, mode: .ascii, theme: .color)
                .render(area: buffer.area, buffer: &buffer)
            return buffer
        }
        // Six 14x7 thumbnails in one row: the eight rows of thumbnail and label leave the ninth for files.
        let roomy = render(height: 9)
        #expect(roomy.lines[7].hasPrefix("✓ T-shirt/top  ✓ Trouser "))
        #expect(roomy.lines[8].hasPrefix("photo_0000.jpg photo_0001.jpg photo_0002.jpg "), "\(roomy.lines[8])")
        #expect(roomy[0, 8].style == Theme.color[.dim])
        // Without the spare row the grid shows the same thumbnails and no file names.
        let tight = render(height: 8)
        #expect(tight.lines[7] == roomy.lines[7])
        #expect(!tight.lines.joined().contains(".jpg"))
        // Two rows of thumbnails need two spare rows.
        let grid = PredictionGrid(
            samples: evaluation.samples, classNames: SampleRun.classNames, mode: .ascii, theme: .color)
        let twoRows = grid.grid(in: Rect(x: 0, y: 0, width: 45, height: 17))
        #expect(twoRows?.columns == 3 && twoRows?.showsFiles == false)
        #expect(grid.grid(in: Rect(x: 0, y: 0, width: 45, height: 18))?.showsFiles == true)
    }

    @Test func theConfusionScreenListsTheCellsFiles() {
        var state = SampleRun.state(Self.events()).state
        _ = state.reduce(.openConfusion)
        _ = state.reduce(.move(rows: 6, columns: 0))
        let lines = draw(state)
        #expect(lines[2].hasPrefix(" Confusion matrix (validation, epoch 2, step 200)"))
        #expect(lines[17].hasPrefix(" true Shirt, predicted T-shirt/top: 30 images (enter to browse)"))
        #expect(lines[18].hasPrefix(" files: val/c6/photo_0010.jpg, val/c6/photo_0012.jpg "), "\(lines[18])")
        // A correct cell lists no files: the evaluation keeps only the mistakes.
        _ = state.reduce(.move(rows: 0, columns: 6))
        #expect(!draw(state).joined().contains("files:"))
    }

    @Test(arguments: [
        (80, "files: a/1.png, bb/22.png, ccc/333.png"),
        (30, "files: a/1.png, +2 more"),
        (36, "files: a/1.png, bb/22.png, +1 more"),
        (20, "files: …png, +2 more"),
    ])
    func theFileListFitsItsWidth(width: Int, expected: String) {
        let files = ["a/1.png", "bb/22.png", "ccc/333.png"]
        let list = ConfusionMatrixView.fileList(files, width: width)
        #expect(list == expected)
        #expect(list.count <= width)
    }

    /// The count travels in the run's `started` line, so an attached dashboard shows it too.
    @Test func theHeaderCountsTheSkippedFilesOfAnAttachedRun() throws {
        guard case .started(let summary) = Self.events()[0] else {
            Issue.record("no start")
            return
        }
        let line = MetricsRecord(time: 1, step: 0, event: .started(summary)).jsonLine()
        var run = RunModel()
        run.apply(try MetricsRecord(jsonLine: Substring(line)).event)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 100, height: 2))
        StatusLine(run: run, stopping: false, theme: .color).render(area: buffer.area, buffer: &buffer)
        #expect(
            buffer.lines[0].hasPrefix(" RUNNING   demo  fashion-mnist (2 files skipped)  lenet · "),
            "\(buffer.lines[0])")
        var one = summary
        one.skippedFileCount = 1
        run.apply(.started(one))
        StatusLine(run: run, stopping: false, theme: .color).render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines[0].contains("fashion-mnist (1 file skipped)  lenet"))
    }

    @Test func truncateLeadingKeepsTheEnd() {
        #expect(Format.truncateLeading("cats/0001.png", 20) == "cats/0001.png")
        #expect(Format.truncateLeading("cats/0001.png", 9) == "…0001.png")
        #expect(Format.truncateLeading("cats/0001.png", 0) == "")
    }
}
