import ConvProtocol
import Foundation

/// Appends a run's events to its `metrics.jsonl`, one `MetricsRecord` per line.
///
/// Every event is written as it happens with a single `write`, so a killed process loses at most
/// the line being written; step events are thinned to at most one per `stepInterval` seconds
/// (plus the last step of every epoch) to keep the file small. Owned by the training worker.
public final class MetricsJournal {
    public let url: URL
    /// The shortest time between two step lines, in seconds.
    public let stepInterval: Double
    private let handle: FileHandle
    private var lastStep = 0
    private var lastStepLineTime = -Double.infinity

    /// Opens `url` for appending (creating it when missing), so that a resumed run continues the
    /// history it started. A line torn by a crash is closed first so it cannot swallow the next one.
    public init(url: URL, stepInterval: Double = 0.5) throws {
        self.url = url
        self.stepInterval = stepInterval
        let manager = FileManager.default
        if !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw MetricsJournalError(description: "\(url.path): cannot create the metrics file")
            }
        }
        do {
            handle = try FileHandle(forUpdating: url)
            let end = try handle.seekToEnd()
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                let last = try handle.read(upToCount: 1)
                if last != Data("\n".utf8) { try handle.write(contentsOf: Data("\n".utf8)) }
            }
        } catch {
            throw MetricsJournalError(description: "\(url.path): cannot open the metrics file: \(error)")
        }
    }

    deinit {
        try? handle.close()
    }

    /// Writes `event` unless it is a step that comes too soon after the previous step line, with
    /// the step at which each rank applied it when it reports a command in a run of several ranks.
    /// Returns whether a line was written.
    @discardableResult
    public func record(_ event: TrainingEvent, at time: Date = Date(), rankSteps: [Int]? = nil) -> Bool {
        if let step = event.step { lastStep = step }
        let seconds = time.timeIntervalSince1970
        if case .step(let metrics) = event {
            let endsEpoch = metrics.stepInEpoch == metrics.stepsPerEpoch
            guard endsEpoch || seconds - lastStepLineTime >= stepInterval else { return false }
            lastStepLineTime = seconds
        }
        let line = MetricsRecord(time: seconds, step: lastStep, event: event, rankSteps: rankSteps).jsonLine() + "\n"
        // A full disk must not stop training; the checkpoint writer reports storage errors loudly.
        try? handle.write(contentsOf: Data(line.utf8))
        return true
    }

    /// Reads every record of a metrics file. Lines that are not whole records (the torn last line
    /// of a killed run) are skipped.
    public static func read(_ url: URL) throws -> [MetricsRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MetricsJournalError(description: "\(url.path): cannot read the metrics file")
        }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap {
            try? MetricsRecord(jsonLine: $0)
        }
    }
}

/// Why a metrics file could not be created or read.
public struct MetricsJournalError: Error, CustomStringConvertible {
    public var description: String
}
