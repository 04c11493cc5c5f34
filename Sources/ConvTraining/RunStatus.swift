import ConvProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a run stands, read from its folder: the journal for its progress, the pid file and the
/// socket for whether it is still going.
public struct RunStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case running, paused, finished, stopped, failed
        /// The journal has no end, yet no process serves the run: it was killed.
        case dead
    }

    public var name: String
    public var folder: String
    public var state: State
    /// The process training the run, while it runs.
    public var pid: Int32?
    public var epoch: Int
    public var epochs: Int
    public var bestAccuracy: Float?
    public var lastAccuracy: Float?
    /// Seconds of training, pauses excluded.
    public var elapsed: Double
    /// When the journal's first line was written, in seconds since 1970.
    public var startTime: Double

    /// The status of the run in `folder`, or `nil` when it has no journal.
    public static func read(_ folder: RunFolder) -> RunStatus? {
        guard let records = try? MetricsJournal.read(folder.metricsFile), let first = records.first else { return nil }
        var status = RunStatus(
            name: folder.name, folder: folder.url.path, state: .dead, pid: nil, epoch: 0, epochs: 0,
            bestAccuracy: nil, lastAccuracy: nil, elapsed: 0, startTime: first.time)
        var ended: State?
        var paused = false
        for record in records {
            switch record.event {
            case .started(let summary):
                status.epochs = summary.epochs
                ended = nil
            case .step(let metrics):
                status.epoch = metrics.epoch
                status.elapsed = metrics.elapsed
            case .evaluation(let evaluation):
                status.lastAccuracy = evaluation.accuracy
                status.bestAccuracy = max(status.bestAccuracy ?? 0, evaluation.accuracy)
            case .paused: paused = true
            case .resumed: paused = false
            case .finished(let result):
                status.epoch = result.epoch
                status.elapsed = result.seconds
                ended = result.epoch >= status.epochs ? .finished : .stopped
            case .failed: ended = .failed
            default: break
            }
        }
        status.pid = folder.servingProcess()
        if let ended, status.pid == nil {
            status.state = ended
        } else if status.pid != nil {
            status.state = paused ? .paused : .running
        }
        return status
    }

    /// Every run under `directory` that has a journal, oldest first.
    public static func list(runsDirectory directory: String) -> [RunStatus] {
        let root = URL(fileURLWithPath: directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { read(RunFolder(url: root.appendingPathComponent($0))) }
            .sorted { ($0.startTime, $0.name) < ($1.startTime, $1.name) }
    }
}

extension RunFolder {
    /// The id of the live process serving this run: its pid file names a process that exists and
    /// the socket answers. A socket file left by a killed run is not trusted.
    public func servingProcess() -> Int32? {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            kill(pid, 0) == 0 || errno == EPERM,
            let socket = try? UnixSocket.connect(to: socketFile.path)
        else { return nil }
        close(socket)
        return pid
    }
}
