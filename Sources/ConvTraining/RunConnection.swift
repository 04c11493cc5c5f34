import ConvProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A viewer's end of a run's socket: events arrive on a reader thread and wait here until
/// collected; commands are written at once. `convtop attach` and the one-shot commands use it.
public final class RunConnection: @unchecked Sendable {
    // @unchecked: `pending`, `ended` and `closeReason` are read and written only while
    // `condition` is locked; `descriptor` is closed only after the reader thread has ended.
    private let descriptor: Int32
    private let condition = NSCondition()
    private var pending: [TrainingEvent] = []
    private var ended = false
    private var closeReason: String?
    private var live = false
    private let readerDone = DispatchSemaphore(value: 0)

    /// Connects to the run serving `socketPath` and starts reading its events.
    public init(socketPath: String) throws {
        descriptor = try UnixSocket.connect(to: socketPath)
        let thread = Thread { [self] in
            readEvents()
            readerDone.signal()
        }
        thread.name = "convtop-connection"
        thread.start()
    }

    deinit {
        shutdown(descriptor, Int32(SHUT_RDWR))
        readerDone.wait()
        Glibc.close(descriptor)
    }

    /// Sends a command; false when the run is gone.
    @discardableResult
    public func send(_ command: TrainingCommand) -> Bool {
        UnixSocket.writeAll(descriptor, Array((command.jsonLine() + "\n").utf8))
    }

    /// Every event received since the last call, oldest first, without waiting.
    public func events() -> [TrainingEvent] {
        condition.lock()
        defer { condition.unlock() }
        return take()
    }

    /// Every event received since the last call, waiting up to `timeout` seconds for the first.
    public func events(waitingAtMost timeout: Double) -> [TrainingEvent] {
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !ended {
            if !condition.wait(until: deadline) { break }
        }
        return take()
    }

    /// Whether the run closed the connection and every event has been collected.
    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ended && pending.isEmpty
    }

    /// Why the connection closed: the server's notice, or that the run closed it; `nil` while open.
    public var closedBecause: String? {
        condition.lock()
        defer { condition.unlock() }
        return ended ? closeReason ?? "the run closed the connection" : nil
    }

    /// Waits up to `timeout` seconds until the run's history has arrived (it is then among the
    /// events to collect); returns whether it did.
    public func waitUntilLive(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        condition.lock()
        defer { condition.unlock() }
        while !live && !ended {
            if !condition.wait(until: deadline) { break }
        }
        return live
    }

    private func take() -> [TrainingEvent] {
        let taken = pending
        pending.removeAll(keepingCapacity: true)
        return taken
    }

    private func readEvents() {
        var framer = LineFramer(maximumLineBytes: LineFormat.maximumLineBytes)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var reason: String?
        reading: while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let lines: [Substring]
            do {
                lines = try buffer.withUnsafeBytes { try framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            } catch {
                reason = "the run sent a line too long to read: \(error)"
                break
            }
            var events: [TrainingEvent] = []
            for line in lines where !line.isEmpty {
                if let record = try? MetricsRecord(jsonLine: line) {
                    events.append(record.event)
                } else if let notice = try? ConnectionNotice(jsonLine: line), notice.kind == .live {
                    condition.lock()
                    live = true
                    pending.append(contentsOf: events)
                    events.removeAll()
                    condition.broadcast()
                    condition.unlock()
                } else if let notice = try? ConnectionNotice(jsonLine: line) {
                    reason = "\(notice.kind.rawValue): \(notice.message)"
                } else {
                    reason = "the run sent a line that is not an event: \(line.prefix(80))"
                    break reading
                }
            }
            condition.lock()
            pending.append(contentsOf: events)
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        ended = true
        closeReason = reason
        condition.broadcast()
        condition.unlock()
    }
}
