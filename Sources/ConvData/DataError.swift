/// Why a dataset could not be read, found or fetched.
///
/// Every case describes itself as one line that starts with the file (or folder) at fault, so
/// the command line can print it as is and exit with status 2.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingFile(String)
    case unreadable(String, reason: String)
    case emptyFolder(String)
    case unrecognisedFolder(String, contents: [String])
    case notWholeRecords(file: String, bytes: Int, recordSize: Int)
    case badMagic(file: String, found: UInt32)
    case badDimensionCount(file: String, expected: Int, found: Int)
    case malformed(file: String, detail: String)
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    case trailingBytes(file: String, count: Int)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)
    case corruptGzip(file: String, reason: String)
    case datasetNotFound(name: String, searched: [String])
    case unknownDatasetName(String)
    case invalidOption(String)
    case alreadyExists(String)
    case download(url: String, reason: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case unsafeArchiveEntry(archive: String, entry: String, reason: String)
    case corruptArchive(archive: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): not found"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .emptyFolder(let path):
            return "\(path): folder is empty"
        case .unrecognisedFolder(let path, let contents):
            let shown = contents.prefix(6).joined(separator: ", ") + (contents.count > 6 ? ", ..." : "")
            return "\(path): no CIFAR binary batches or IDX files found (contains \(shown))"
        case .notWholeRecords(let file, let bytes, let recordSize):
            return "\(file): \(bytes) bytes is not a multiple of \(recordSize)-byte records"
        case .badMagic(let file, let found):
            return
                "\(file): not an unsigned-byte IDX file (magic number 0x\(String(found, radix: 16, uppercase: false).leftPadded(to: 8)))"
        case .badDimensionCount(let file, let expected, let found):
            return "\(file): IDX file has \(found) dimensions, expected \(expected)"
        case .malformed(let file, let detail):
            return "\(file): \(detail)"
        case .truncated(let file, let expected, let actual):
            return "\(file): truncated, header promises \(expected) bytes of data but only \(actual) follow"
        case .trailingBytes(let file, let count):
            return "\(file): \(count) unexpected bytes after the data the header describes"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(labels): \(labelCount) labels but \(images) holds \(imageCount) images"
        case .labelOutOfRange(let file, let index, let label, let classCount):
            return "\(file): label \(label) of record \(index) is beyond the \(classCount) classes"
        case .corruptGzip(let file, let reason):
            return "\(file): corrupt gzip stream (\(reason))"
        case .datasetNotFound(let name, let searched):
            return "dataset '\(name)' not found (looked in \(searched.joined(separator: ", "))); "
                + "get it with: convtop data fetch \(name)"
        case .unknownDatasetName(let name):
            return
                "\(name): unknown dataset name (known: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidOption(let detail):
            return detail
        case .alreadyExists(let path):
            return "\(path): already exists (remove it first, or fetch elsewhere with --to DIR)"
        case .download(let url, let reason):
            return "\(url): download failed (\(reason))"
        case .checksumMismatch(let file, let expected, let actual):
            return "\(file): MD5 \(actual) does not match the published \(expected)"
        case .unsafeArchiveEntry(let archive, let entry, let reason):
            return "\(archive): refusing entry '\(entry)' (\(reason))"
        case .corruptArchive(let archive, let reason):
            return "\(archive): corrupt tar archive (\(reason))"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
