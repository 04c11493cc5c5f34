import Foundation

/// The folder a run writes into: `metrics.jsonl`, `checkpoint.safetensors` and the log.
public struct RunFolder: Sendable, Equatable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// `metrics.jsonl`: every event of the run, one JSON line each.
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    /// Where the run saves its checkpoint when no other path is given.
    public var checkpointFile: URL { url.appendingPathComponent("checkpoint.safetensors") }
    /// The checkpoint of the model that scored best on the monitored figure (`--monitor`); a run
    /// folder's checkpoint for `eval`, `predict` and `export` with `--best`, never for `--resume`.
    public var bestCheckpointFile: URL { url.appendingPathComponent("best.safetensors") }
    /// The images marked in the misclassified browser (see `MarksFile`), for `train --exclude`.
    public var marksFile: URL { url.appendingPathComponent("marks.csv") }
    /// Where a run that lost its terminal (SIGHUP) keeps writing its progress lines.
    public var logFile: URL { url.appendingPathComponent("output.log") }
    /// The socket viewers attach to while the run is going (see `RunServer`).
    public var socketFile: URL { url.appendingPathComponent("control.sock") }
    /// The id of the process running the run, while it runs.
    public var pidFile: URL { url.appendingPathComponent("convtop.pid") }

    /// The run's name: the folder's last component.
    public var name: String { url.lastPathComponent }

    /// Creates the folder for a new run: `directory` when given, otherwise `<root>/<name>`, with
    /// `name` defaulting to the start time (`20261129-041502`). An existing named folder under
    /// `root` gets a numbered sibling (`name-2`) so that runs never mix their files.
    public static func create(
        directory: String?, name: String?, root: String = "runs",
        now: Date = Date()
    ) throws -> RunFolder {
        let manager = FileManager.default
        let url: URL
        if let directory {
            url = URL(fileURLWithPath: directory)
        } else {
            let base = name ?? timestamp(now)
            var candidate = URL(fileURLWithPath: root).appendingPathComponent(base)
            var number = 2
            while manager.fileExists(atPath: candidate.path) {
                candidate = URL(fileURLWithPath: root).appendingPathComponent("\(base)-\(number)")
                number += 1
            }
            url = candidate
        }
        do {
            try manager.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError(
                description: "\(url.path): cannot create the run folder (\(error.localizedDescription))")
        }
        return RunFolder(url: url.standardizedFileURL)
    }

    /// The `.safetensors` files in the folder, newest first, for `--resume RUN_FOLDER`; the best
    /// model's file is left out, as resuming from it would throw away the epochs trained after it.
    public func checkpointCandidates() -> [URL] {
        let manager = FileManager.default
        let files =
            (try? manager.contentsOfDirectory(at: url, includingPropertiesForKeys: [.contentModificationDateKey]))
            ?? []
        let dated = files.filter {
            $0.pathExtension == "safetensors" && $0.lastPathComponent != bestCheckpointFile.lastPathComponent
        }.map { file in
            (
                file,
                (try? file.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
                    ?? .distantPast
            )
        }
        return dated.sorted { $0.1 > $1.1 }.map(\.0)
    }

    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}

/// Why a run folder could not be made or used.
public struct RunFolderError: Error, CustomStringConvertible {
    public var description: String
}
