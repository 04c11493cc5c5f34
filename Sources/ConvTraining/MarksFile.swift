import ConvProtocol
import Foundation

/// `marks.csv`, the run folder's list of marked images: one header line, then one row per mark
/// with the columns `file, split, index, true_label, predicted_label, kind, note`. Labels are class
/// names; `file` is the image's path relative to the dataset folder, empty for images packed in
/// one file (CIFAR, IDX), which `split` and `index` name. Fields are quoted as RFC 4180 says, so
/// spreadsheets, Python's `csv` and pandas read it back whatever the names and notes hold.
public enum MarksFile {
    static let header = ["file", "split", "index", "true_label", "predicted_label", "kind", "note"]

    /// The file's text for `marks`, naming labels by `classNames`.
    public static func text(_ marks: [ImageMark], classNames: [String]) -> String {
        func name(_ label: Int) -> String { classNames.indices.contains(label) ? classNames[label] : String(label) }
        return CSVTable.text(
            [header]
                + marks.map {
                    [
                        $0.file ?? "", $0.split.rawValue, String($0.index), name($0.trueLabel),
                        name($0.predictedLabel), $0.kind.rawValue, $0.note,
                    ]
                })
    }

    /// The marks in `text`, read from `file` (named in errors), with labels looked up in `classNames`.
    public static func marks(in text: String, file: String, classNames: [String]) throws -> [ImageMark] {
        let rows: [[String]]
        do {
            rows = try CSVTable.rows(text)
        } catch {
            throw MarksFileError(description: "\(file) line \(error.line): \(error.problem)")
        }
        guard rows.first == header else {
            throw MarksFileError(
                description: "\(file): the first line must be the header \(header.joined(separator: ","))")
        }
        return try rows.dropFirst().enumerated().map { number, row in
            func fail(_ problem: String) -> MarksFileError {
                MarksFileError(description: "\(file) row \(number + 1): \(problem)")
            }
            guard row.count == header.count else {
                throw fail("\(row.count) fields, expected \(header.count) (\(header.joined(separator: ",")))")
            }
            guard let split = Split(rawValue: row[1]) else {
                throw fail(
                    "split \"\(row[1])\" is not one of \(Split.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let index = Int(row[2]), index >= 0 else { throw fail("index \"\(row[2])\" is not a count") }
            func label(_ name: String, _ column: String) throws -> Int {
                guard let label = classNames.firstIndex(of: name) else {
                    throw fail("\(column) \"\(name)\" is not a class of this dataset")
                }
                return label
            }
            guard let kind = ImageMark.Kind(rawValue: row[5]) else {
                throw fail(
                    "kind \"\(row[5])\" is not one of \(ImageMark.Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return ImageMark(
                split: split, index: index, kind: kind, trueLabel: try label(row[3], "true_label"),
                predictedLabel: try label(row[4], "predicted_label"), note: row[6],
                file: row[0].isEmpty ? nil : row[0])
        }
    }

    /// The marks in the file at `path`.
    public static func read(_ path: String, classNames: [String]) throws -> [ImageMark] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MarksFileError(description: "\(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MarksFileError(description: "\(path): not UTF-8 text")
        }
        return try marks(in: text, file: path, classNames: classNames)
    }
}

/// A marks file that cannot be read or written.
public struct MarksFileError: Error, CustomStringConvertible {
    public var description: String
}
