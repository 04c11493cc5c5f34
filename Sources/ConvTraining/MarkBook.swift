import ConvData
import ConvEngine
import ConvProtocol
import Foundation

/// The marks of a run, owned by its worker: what the viewers marked, kept in the run's
/// `marks.csv`, rewritten whole and atomically after every change so that the file is always a
/// complete list. A run resumed in its folder starts from the marks already there.
final class MarkBook {
    let file: URL
    private let classNames: [String]
    /// In the order they were made; a mark made again replaces the old one in place.
    private(set) var marks: [ImageMark]

    /// Reads `file` when it exists. Throws when it exists but is not a marks file, so that the
    /// person's file is never overwritten.
    init(file: URL, classNames: [String]) throws {
        self.file = file
        self.classNames = classNames
        marks =
            FileManager.default.fileExists(atPath: file.path)
            ? try MarksFile.read(file.path, classNames: classNames) : []
    }

    /// The marks of a run that writes `folder`: nil without a folder, or with a problem to report
    /// when the folder's `marks.csv` cannot be read (marking is then off, and the file untouched).
    static func forRun(_ folder: RunFolder?, classNames: [String]) -> (book: MarkBook?, problem: String?) {
        guard let folder else { return (nil, "this run has no folder") }
        do {
            return (try MarkBook(file: folder.marksFile, classNames: classNames), nil)
        } catch {
            return (nil, "\(error); marking is off for this run and the file is left as it is")
        }
    }

    /// Records `mark` for an image of `dataset` and returns it as written: the true label is the
    /// dataset's, and the file the image's, when it has one.
    func mark(_ mark: ImageMark, in dataset: Dataset) throws -> ImageMark {
        let images = dataset.images(in: mark.split)
        guard mark.index < images.count else {
            throw MarksFileError(
                description: "no \(mark.split) image \(mark.index): the split has \(images.count) images")
        }
        guard mark.predictedLabel < classNames.count else {
            throw MarksFileError(description: "predicted label \(mark.predictedLabel) is not one of the classes")
        }
        var recorded = mark
        recorded.trueLabel = Int(images.labels[mark.index])
        recorded.file = images.fileName(at: mark.index)
        var updated = marks
        if let existing = updated.firstIndex(where: { $0.names(split: mark.split, index: mark.index) }) {
            updated[existing] = recorded
        } else {
            updated.append(recorded)
        }
        try write(updated)
        return recorded
    }

    /// Removes the mark of an image; false when it had none.
    func unmark(split: Split, index: Int) throws -> Bool {
        let updated = marks.filter { !$0.names(split: split, index: index) }
        guard updated.count != marks.count else { return false }
        try write(updated)
        return true
    }

    private func write(_ updated: [ImageMark]) throws {
        try AtomicFile.write(Array(MarksFile.text(updated, classNames: classNames).utf8), to: file.path)
        marks = updated
    }
}

extension Dataset {
    /// The images an evaluation of `split` reads.
    func images(in split: Split) -> ImageSet {
        switch split {
        case .test: test
        case .validation: validation
        }
    }
}
