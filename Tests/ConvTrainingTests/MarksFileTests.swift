import ConvData
import ConvProtocol
import Foundation
import Testing

@testable import ConvTraining

@Suite struct MarksFileTests {
    static let classNames = ["cat", "dog, big", "say \"cheese\"", "two\nlines"]

    /// Names and notes with every character CSV must quote, and some it must not mangle.
    static let marks = [
        ImageMark(
            split: .test, index: 7, kind: .mislabelled, trueLabel: 1, predictedLabel: 2,
            note: "a \"dog\", surely\nsecond line\r\nthird", file: "test/dog, big/Ünïcode \"7\".png"),
        ImageMark(split: .validation, index: 0, kind: .drop, trueLabel: 3, predictedLabel: 0, note: "", file: nil),
        ImageMark(split: .test, index: 12, kind: .drop, trueLabel: 0, predictedLabel: 3, note: ",", file: "a.png"),
    ]

    @Test func marksRoundTripThroughTheirCSVWhateverTheNamesHold() throws {
        let text = MarksFile.text(Self.marks, classNames: Self.classNames)
        #expect(text.hasPrefix("file,split,index,true_label,predicted_label,kind,note\n"))
        #expect(try MarksFile.marks(in: text, file: "marks.csv", classNames: Self.classNames) == Self.marks)
        // A spreadsheet may save it with CRLF line ends (the names here hold no line break of their own).
        let simple = [ImageMark(split: .test, index: 3, kind: .drop, trueLabel: 0, predictedLabel: 1, note: "a, b")]
        let crlf = MarksFile.text(simple, classNames: Self.classNames).replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try MarksFile.marks(in: crlf, file: "marks.csv", classNames: Self.classNames) == simple)
    }

    @Test func fieldsAreQuotedOnlyWhenTheyMustBe() {
        #expect(
            CSVTable.text([["plain", "a,b", "say \"hi\"", "x\ny", ""]])
                == "plain,\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\n")
    }

    @Test func csvReadsQuotedFieldsAndEmptyOnes() throws {
        #expect(try CSVTable.rows("a,\"b,\"\"c\"\"\",\n\"\",d\r\n") == [["a", "b,\"c\"", ""], ["", "d"]])
        #expect(try CSVTable.rows("") == [])
        #expect(try CSVTable.rows("last,line") == [["last", "line"]])
    }

    @Test(arguments: [
        ("file,split\n", "the first line must be the header"),
        (
            "file,split,index,true_label,predicted_label,kind,note\n\"open,test,1,cat,cat,drop,\n",
            "line 2: a quoted field is never closed"
        ),
        (
            "file,split,index,true_label,predicted_label,kind,note\na\"b,test,1,cat,cat,drop,\n",
            "line 2: a quote inside an unquoted field"
        ),
        (
            "file,split,index,true_label,predicted_label,kind,note\n\"a\"b,test,1,cat,cat,drop,\n",
            "line 2: text after a quoted field"
        ),
        ("file,split,index,true_label,predicted_label,kind,note\na,test,1,cat\n", "row 1: 4 fields, expected 7"),
        ("file,split,index,true_label,predicted_label,kind,note\na,train,1,cat,cat,drop,\n", "row 1: split \"train\""),
        ("file,split,index,true_label,predicted_label,kind,note\na,test,-1,cat,cat,drop,\n", "row 1: index \"-1\""),
        (
            "file,split,index,true_label,predicted_label,kind,note\na,test,1,cow,cat,drop,\n",
            "true_label \"cow\" is not a class"
        ),
        (
            "file,split,index,true_label,predicted_label,kind,note\na,test,1,cat,cat,burn,\n",
            "kind \"burn\" is not one of mislabelled, drop"
        ),
    ])
    func aMalformedMarksFileIsNamedWithItsLine(text: String, problem: String) {
        let error = #expect(throws: MarksFileError.self) {
            try MarksFile.marks(in: text, file: "runs/a/marks.csv", classNames: Self.classNames)
        }
        #expect(error?.description.hasPrefix("runs/a/marks.csv") == true)
        #expect(error?.description.contains(problem) == true, "\(error?.description ?? "no error")")
    }

    // MARK: Excluding

    @Test func packedImagesAreExcludedBySplitAndIndex() throws {
        let dataset = try StripesDataset.dataset().holdingOutValidation(30)
        let marks = [
            ImageMark(split: .test, index: 4, kind: .drop, trueLabel: 1, predictedLabel: 0),
            ImageMark(split: .test, index: 1, kind: .mislabelled, trueLabel: 1, predictedLabel: 0),
            ImageMark(split: .validation, index: 29, kind: .drop, trueLabel: 2, predictedLabel: 0),
        ]
        let exclusion = try dataset.excluding(marks, file: "marks.csv")
        #expect(exclusion.excluded == 3 && exclusion.unmatched == 0)
        let kept = [0, 2, 3] + Array(5..<60)
        #expect(exclusion.dataset.test.pixels == dataset.test.subset(kept).pixels)
        #expect(exclusion.dataset.test.labels == dataset.test.subset(kept).labels)
        #expect(exclusion.dataset.validation.count == 29 && exclusion.dataset.train.count == dataset.train.count)

        let beyond = [ImageMark(split: .test, index: 60, kind: .drop, trueLabel: 0, predictedLabel: 1)]
        let error = #expect(throws: MarksFileError.self) { try dataset.excluding(beyond, file: "marks.csv") }
        #expect(error?.description.contains("marks.csv: test image 60 is beyond the 60 test images") == true)
    }

    @Test func imageFilesAreExcludedByNameInWhicheverSplitTheyAre() throws {
        func set(_ names: [String]) -> ImageSet {
            let d = ImageDimensions(channels: 1, height: 1, width: 1)
            return ImageSet(
                dimensions: d, pixels: names.indices.map { UInt8($0) }, labels: names.map { _ in 0 }, fileNames: names)
        }
        var dataset = Dataset(
            name: "pets", folder: "/pets", format: .imageFolder, classNames: ["cat"],
            train: set(["train/cat/1.png", "train/cat/a, \"b\".png", "train/cat/3.png"]),
            test: set(["test/cat/1.png", "test/cat/2.png"]), allowsHorizontalFlip: true)
        dataset = try dataset.holdingOutValidation(1)
        let marks = [
            ImageMark(
                split: .validation, index: 0, kind: .drop, trueLabel: 0, predictedLabel: 0,
                file: "train/cat/a, \"b\".png"),
            ImageMark(split: .test, index: 1, kind: .drop, trueLabel: 0, predictedLabel: 0, file: "test/cat/2.png"),
            ImageMark(split: .test, index: 9, kind: .drop, trueLabel: 0, predictedLabel: 0, file: "test/cat/gone.png"),
        ]
        let exclusion = try dataset.excluding(marks, file: "marks.csv")
        #expect(exclusion.excluded == 2 && exclusion.unmatched == 1)
        let left = exclusion.dataset
        #expect(Set(left.train.fileNames + left.validation.fileNames) == ["train/cat/1.png", "train/cat/3.png"])
        #expect(left.test.fileNames == ["test/cat/1.png"] && left.test.pixels == [0])
    }

    // MARK: In a run

    /// Marks sent to a live run reach marks.csv, with the dataset's true label; unmarking removes
    /// them; a bad index is a warning; a run resumed in the folder starts from the marks there.
    @Test func aRunKeepsItsMarksInItsFolder() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = TrainingSessionTests.session(TrainingSessionTests.configuration(epochs: 50), folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        log.wait(for: "a step") { $0.step ?? 0 >= 1 }
        let note = "not a \"stripe\",\nreally"
        session.channel.send(
            .markImage(
                ImageMark(split: .test, index: 4, kind: .mislabelled, trueLabel: 0, predictedLabel: 2, note: note)))
        session.channel.send(
            .markImage(ImageMark(split: .test, index: 5, kind: .drop, trueLabel: 2, predictedLabel: 0)))
        session.channel.send(
            .markImage(ImageMark(split: .test, index: 60, kind: .drop, trueLabel: 0, predictedLabel: 1)))
        session.channel.send(.unmarkImage(split: .test, index: 5))
        log.wait(for: "the unmark") { $0 == .imageUnmarked(split: .test, index: 5) }
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
        let expected = ImageMark(
            split: .test, index: 4, kind: .mislabelled, trueLabel: 1, predictedLabel: 2, note: note)
        #expect(log.events.contains(.imageMarked(expected)))
        #expect(
            log.events.contains {
                if case .warning(let text) = $0 { text.contains("mark not kept: no test image 60") } else { false }
            })
        let marksFile = RunFolder(url: folder).marksFile.path
        #expect(try MarksFile.read(marksFile, classNames: ["top", "middle", "lower"]) == [expected])

        let resumed = TrainingSessionTests.session(TrainingSessionTests.configuration(epochs: 50), folder: folder)
        var resumedLog = EventLog(channel: resumed.channel)
        resumed.start()
        resumedLog.wait(for: "the kept mark") { $0 == .imageMarked(expected) }
        resumed.channel.send(.stop)
        _ = resumedLog.waitForEnd()
        resumed.wait()
    }

    @Test func anUnreadableMarksFileIsLeftAloneAndMarkingIsOff() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = RunFolder(url: folder)
        let text = "my own notes, not marks\n"
        try Data(text.utf8).write(to: run.marksFile)
        let session = TrainingSessionTests.session(TrainingSessionTests.configuration(epochs: 50), folder: folder)
        var log = EventLog(channel: session.channel)
        session.start()
        log.wait(for: "the warning") {
            if case .warning(let text) = $0 { text.contains("the first line must be the header") } else { false }
        }
        session.channel.send(
            .markImage(ImageMark(split: .test, index: 1, kind: .drop, trueLabel: 0, predictedLabel: 1)))
        log.wait(for: "the refusal") {
            if case .warning(let text) = $0 { text.hasPrefix("mark not kept: ") } else { false }
        }
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
        #expect(try String(contentsOf: run.marksFile, encoding: .utf8) == text)
    }
}
