import ConvProtocol
import Foundation

/// Follows a run's `metrics.jsonl` as the run appends to it, as `tail -f` does: each `read` returns
/// the records of the lines completed since the previous one. `convtop view` and `convtop compare`
/// watch runs this way, whether the run is over or still going, without touching its socket.
///
/// A line the run is still writing waits for its newline; a line that is not a whole record (the
/// torn line of a killed run, closed by the next run resuming in the folder) is skipped, as
/// `MetricsJournal.read` skips it.
public final class JournalTail {
    public let url: URL
    private let handle: FileHandle
    private var partialLine: [UInt8] = []

    /// Opens the metrics file; throws when it cannot be read.
    public init(url: URL) throws {
        self.url = url
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw MetricsJournalError(description: "\(url.path): cannot read the metrics file")
        }
    }

    deinit {
        try? handle.close()
    }

    /// The records of the lines completed since the last call, oldest first.
    public func read() -> [MetricsRecord] {
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        var records: [MetricsRecord] = []
        var bytes = partialLine + data
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            partialLine = bytes
            return []
        }
        partialLine = Array(bytes[(lastNewline + 1)...])
        bytes.removeSubrange((lastNewline + 1)...)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let record = try? MetricsRecord(jsonLine: Substring(decoding: line, as: UTF8.self)) {
                records.append(record)
            }
        }
        return records
    }
}
