import ConvProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A training run's socket (`control.sock` in its folder): any number of viewers attach to it,
/// each first receiving the run's history and then its live events, and each may send commands.
///
/// The worker only calls `publish`, which appends to queues under a lock: it never waits for a
/// socket. Each viewer has a reader thread (its commands go to `onCommand`) and a writer thread
/// (its queue goes to the socket). A viewer's queued step events are coalesced; when more than
/// `Limits.queuedEvents` other events wait, the viewer is dropped with a `dropped` notice. A line
/// that is not a command, or is longer than `Limits.commandBytes`, gets an `error` notice and the
/// connection is closed. Connections from another user id are closed at once. See docs/PROTOCOL.md.
public final class RunServer: @unchecked Sendable {
    // @unchecked: `history`, `viewers`, `nextViewer`, `closed` and `dropReasons` are read and
    // written only while `lock` is held; the other stored properties never change after `init`.
    public struct Limits: Sendable {
        /// The longest command line a viewer may send, in bytes.
        public var commandBytes = 64 << 10
        /// How many events (steps not counted: they coalesce) may wait for a viewer before it is dropped.
        public var queuedEvents = 1024
        /// How long one write to a viewer may block before the viewer is given up.
        public var sendTimeout = 10.0

        public init() {}
    }

    public let socketPath: String
    public let pidPath: String
    private let limits: Limits
    private let onCommand: @Sendable (TrainingCommand) -> Void
    private let listener: Int32
    /// The device and inode of the socket this server bound: a run whose folder was deleted and
    /// reused by another run leaves that run's socket and pid file alone when it ends.
    private let socketIdentity: FileIdentity?
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let acceptDone = DispatchSemaphore(value: 0)

    private let lock = NSLock()
    private var history = RunHistory()
    private var lastStep = 0
    private var viewers: [Int: Viewer] = [:]
    private var nextViewer = 0
    private var closed = false
    private var dropReasons: [String] = []

    /// Makes `folder` its owner's alone (mode 0700), writes the process id to its `convtop.pid`
    /// and listens on its `control.sock` (mode 0600).
    public init(
        folder: RunFolder, limits: Limits = Limits(),
        onCommand: @escaping @Sendable (TrainingCommand) -> Void
    ) throws {
        Self.keepLargeBlocksMapped()
        socketPath = folder.socketFile.path
        pidPath = folder.pidFile.path
        self.limits = limits
        self.onCommand = onCommand
        guard chmod(folder.url.path, 0o700) == 0 else { throw RunSocketError.system(folder.url.path, "chmod") }
        listener = try UnixSocket.listen(at: socketPath)
        socketIdentity = FileIdentity(path: socketPath)
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            Glibc.close(listener)
            throw RunSocketError.system(socketPath, "pipe")
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // Atomic, so that `convtop runs` never reads an empty file and calls a live run dead.
        try? Data("\(getpid())\n".utf8).write(to: folder.pidFile, options: .atomic)
        let thread = Thread { [self] in
            acceptConnections()
            acceptDone.signal()
        }
        thread.name = "convtop-accept"
        thread.start()
    }

    /// Hands an event to every viewer and to the history later viewers receive. Never blocks on a socket.
    public func publish(_ event: TrainingEvent, at time: Double = Date().timeIntervalSince1970) {
        lock.lock()
        defer { lock.unlock() }
        if let step = event.step { lastStep = step }
        let record = MetricsRecord(time: time, step: lastStep, event: event, includingImages: true)
        history.append(record)
        guard !viewers.isEmpty else { return }
        let outgoing = OutgoingRecord(record)
        for viewer in viewers.values {
            if let reason = viewer.enqueue(outgoing, limit: limits.queuedEvents) { dropReasons.append(reason) }
        }
    }

    /// How many viewers are connected now.
    public var viewerCount: Int {
        lock.withLock { viewers.count }
    }

    /// Why viewers were dropped so far, oldest first.
    public var droppedViewers: [String] {
        lock.withLock { dropReasons }
    }

    /// Stops listening, lets each viewer's writer send what is queued (the run's last events) for at
    /// most `grace` seconds, closes every connection and removes the socket and pid files.
    public func close(grace: Double = 2) {
        let first = lock.withLock {
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        _ = Glibc.write(wakeWrite, "x", 1)
        acceptDone.wait()
        if socketIdentity != nil && FileIdentity(path: socketPath) == socketIdentity {
            unlink(socketPath)
            unlink(pidPath)
        }
        let remaining = lock.withLock { Array(viewers.values) }
        let deadline = DispatchTime.now() + grace
        for viewer in remaining { viewer.finish() }
        for viewer in remaining where viewer.done.wait(timeout: deadline) == .timedOut {
            viewer.abort()
            viewer.done.wait()
        }
    }

    /// Blocks of at least this many bytes are mapped for themselves, and unmapped when freed.
    static let largeBlockBytes: Int32 = 128 << 10

    /// The writer threads encode evaluations (their images in base64, a few megabytes) and the history
    /// a viewer attaches to. glibc raises its mmap threshold to the largest mapped block freed, so
    /// after the first evaluation those buffers come from the thread's arena and stay resident once
    /// freed; with viewers coming and going, each a new thread and up to eight arenas a core, the
    /// trainer's resident memory grew by about a megabyte an attach (docs/SOAK.md). A fixed
    /// threshold, glibc's own starting one, keeps large buffers mapped and gives them back when freed.
    static func keepLargeBlocksMapped() {
        // mallopt is declared in <malloc.h>, which the Glibc module leaves out; -3 is its M_MMAP_THRESHOLD.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-3, largeBlockBytes)
    }

    deinit {
        close(grace: 0)
        Glibc.close(listener)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    // MARK: Connections

    private func acceptConnections() {
        var descriptors = [
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { return }
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            guard UnixSocket.peerUID(connection) == getuid() else {
                _ = UnixSocket.writeAll(
                    connection,
                    Array(
                        (ConnectionNotice(
                            .error, "refused: the run belongs to another user"
                        ).jsonLine() + "\n").utf8))
                Glibc.close(connection)
                continue
            }
            UnixSocket.setSendTimeout(connection, seconds: limits.sendTimeout)
            attach(connection)
        }
    }

    /// Registers the viewer and takes the history in one step, so that it misses and repeats nothing.
    private func attach(_ connection: Int32) {
        let viewer = Viewer(descriptor: connection)
        let (id, snapshot): (Int, [MetricsRecord]) = lock.withLock {
            let id = nextViewer
            nextViewer += 1
            viewers[id] = viewer
            return (id, history.records)
        }
        let commandBytes = limits.commandBytes, onCommand = onCommand
        let reader = Thread {
            viewer.readCommands(maximumLineBytes: commandBytes, onCommand: onCommand)
        }
        reader.name = "convtop-viewer-read"
        reader.start()
        let writer = Thread { [weak self] in
            viewer.writeEvents(history: snapshot)
            self?.remove(id)
            viewer.done.signal()
        }
        writer.name = "convtop-viewer-write"
        writer.start()
    }

    private func remove(_ id: Int) {
        lock.withLock { _ = viewers.removeValue(forKey: id) }
    }
}

/// One attached viewer: its socket, its queue of events and the notice it is to be closed with.
private final class Viewer: @unchecked Sendable {
    // @unchecked: `queue`, `notice`, `ending`, `aborted` are read and written only while
    // `condition` is locked; `descriptor` is closed only by the writer after the reader has ended.
    let descriptor: Int32
    let done = DispatchSemaphore(value: 0)
    private let readerDone = DispatchSemaphore(value: 0)
    private let condition = NSCondition()
    private var queue: [OutgoingRecord] = []
    private var notice: ConnectionNotice?
    /// The run is over: the writer sends what is queued and closes.
    private var ending = false
    /// The server gave up waiting for the writer.
    private var aborted = false
    /// When the writer may send the next step: a viewer gets at most one step per `stepPace`
    /// seconds, the latest (`enqueue` coalesces them); other events go at once, and take the step
    /// waiting before them along. A dashboard draws no faster, and LeNet's 500 steps a second,
    /// each encoded for every viewer and decoded by it, kept each of three dashboards at 12% of a
    /// core (7% with the pace).
    private var nextStep = Date.distantPast
    static let stepPace = 0.05

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Queues a record, coalescing steps; returns the reason when this drops the viewer.
    func enqueue(_ record: OutgoingRecord, limit: Int) -> String? {
        condition.lock()
        defer { condition.unlock() }
        guard notice == nil else { return nil }
        if case .step = record.record.event, case .step? = queue.last?.record.event {
            // The writer already knows a step waits (it sends it when the pace allows): replacing
            // it needs no wake-up, so a fast net's hundreds of steps a second cost no context switches.
            queue[queue.count - 1] = record
            return nil
        }
        queue.append(record)
        var reason: String?
        if queue.count > limit {
            let message = "more than \(limit) events waited to be sent: the viewer reads too slowly"
            queue.removeAll()
            notice = ConnectionNotice(.dropped, message)
            reason = message
        }
        condition.signal()
        return reason
    }

    func finish() {
        condition.lock()
        ending = true
        condition.signal()
        condition.unlock()
    }

    /// Unblocks both threads at once, whatever they are waiting for.
    func abort() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        condition.lock()
        aborted = true
        condition.signal()
        condition.unlock()
    }

    /// The writer thread: the history, then queued events as they come, until the run ends, the
    /// viewer goes, or a notice closes the connection.
    func writeEvents(history: [MetricsRecord]) {
        let live = ConnectionNotice(.live, "\(history.count) events of history sent; live events follow")
        var open = history.allSatisfy { send($0.jsonLine()) } && send(live.jsonLine())
        while open {
            condition.lock()
            while notice == nil && !ending && !aborted {
                if queue.isEmpty {
                    condition.wait()
                } else if queue.count == 1, case .step = queue[0].record.event, Date() < nextStep {
                    _ = condition.wait(until: nextStep)
                } else {
                    break
                }
            }
            let batch = queue
            if batch.contains(where: { if case .step = $0.record.event { true } else { false } }) {
                nextStep = Date(timeIntervalSinceNow: Self.stepPace)
            }
            queue.removeAll(keepingCapacity: true)
            let closing = notice, stop = aborted || (ending && batch.isEmpty)
            condition.unlock()
            if let closing {
                _ = send(closing.jsonLine())
                break
            }
            open = !stop && batch.allSatisfy { UnixSocket.writeAll(descriptor, $0.line) }
        }
        shutdown(descriptor, Int32(SHUT_RDWR))
        readerDone.wait()
        Glibc.close(descriptor)
    }

    /// The reader thread: forwards each command line; a bad line or a long one closes the
    /// connection with an error notice. A viewer that closed its sending side may still read
    /// events: the writer notices a viewer that is gone when a write fails.
    func readCommands(maximumLineBytes: Int, onCommand: (TrainingCommand) -> Void) {
        defer { readerDone.signal() }
        var framer = LineFramer(maximumLineBytes: maximumLineBytes)
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            do {
                let lines = try buffer.withUnsafeBytes {
                    try framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count]))
                }
                for line in lines where !line.isEmpty {
                    onCommand(try TrainingCommand(jsonLine: line))
                }
            } catch {
                close(with: ConnectionNotice(.error, "\(error)"))
                return
            }
        }
    }

    private func close(with closing: ConnectionNotice) {
        condition.lock()
        queue.removeAll()
        notice = closing
        condition.signal()
        condition.unlock()
    }

    private func send(_ line: String) -> Bool {
        UnixSocket.writeAll(descriptor, Array((line + "\n").utf8))
    }
}

/// A live event on its way to the viewers, encoded once by the first writer that sends it and
/// shared by the others: an evaluation's images are megabytes of base64, which three viewers
/// would otherwise encode three times while the trainer needs the cores.
private final class OutgoingRecord: Sendable {
    let record: MetricsRecord
    private let encoded = Mutex<[UInt8]?>(nil)

    init(_ record: MetricsRecord) {
        self.record = record
    }

    var line: [UInt8] {
        encoded.withLock { line in
            if let line { return line }
            let encoding = Array((record.jsonLine() + "\n").utf8)
            line = encoding
            return encoding
        }
    }
}

/// Which file a path names: its device and inode.
private struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
