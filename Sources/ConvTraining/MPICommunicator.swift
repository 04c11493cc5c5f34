import CMPI
import Foundation

/// The ranks of an `mpirun` launch, over Open MPI's `MPI_COMM_WORLD`.
///
/// MPI is initialised only when the environment says `mpirun` started this process, so a plain
/// `convtop train` never loads the MPI runtime's state or prints its warnings.
///
/// A rank that dies makes the collectives return an error (the communicator's error handler is
/// MPI_ERRORS_RETURN), which the worker turns into the run's failure. A rank that hangs would block
/// the others forever inside a collective, so a watchdog thread ends the job when one collective
/// has waited longer than the timeout: the one place where waiting on another rank is not a hang
/// is the command broadcast that holds the ranks while rank 0 is paused, which it does not watch.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let watchdog: CollectiveWatchdog

    /// The communicator for this launch: MPI's when `mpirun` started the process, else a single
    /// process. `onTimeout` gets a one-line description of a collective that waited more than
    /// `collectiveTimeout` seconds, on the watchdog's thread, and must end the process.
    public static func forLaunch(
        environment: [String: String] = ProcessInfo.processInfo.environment, collectiveTimeout: Double,
        onTimeout: @escaping @Sendable (String) -> Void
    ) throws -> any Communicator {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else {
            return SingleProcess()
        }
        return try MPICommunicator(collectiveTimeout: collectiveTimeout, onTimeout: onTimeout)
    }

    /// Ends every rank of the job at once: what is left when a rank hangs.
    public static func abort() -> Never {
        MPI_Abort(cmpi_comm_world(), 1)
        exit(1)
    }

    private init(collectiveTimeout: Double, onTimeout: @escaping @Sendable (String) -> Void) throws {
        // The worker thread makes every call after this one, one at a time: SERIALIZED allows that.
        var provided: Int32 = 0
        try Self.check(MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided), "MPI_Init_thread")
        guard provided >= cmpi_thread_serialized() else {
            throw CommunicationError(
                description: "MPI provides thread level \(provided); convtop needs MPI_THREAD_SERIALIZED")
        }
        // A rank that dies turns a collective into an error code here rather than an abort of the job.
        try Self.check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
        let name = "rank \(rank)"
        watchdog = CollectiveWatchdog(timeout: collectiveTimeout) { call, seconds in
            onTimeout(
                "\(name): \(call) has waited \(Int(seconds)) s for the other ranks: a rank has hung or died")
        }
    }

    /// Ends MPI for this process; call once, after the worker thread has ended.
    public func finalize() {
        MPI_Finalize()
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try collective("MPI_Allreduce of \(buffer.count) floats") {
            MPI_Allreduce(
                cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(), cmpi_sum(), cmpi_comm_world())
        }
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try collective("MPI_Allreduce of \(buffer.count) doubles") {
            MPI_Allreduce(
                cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_double(), cmpi_sum(), cmpi_comm_world())
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try collective("MPI_Bcast of \(buffer.count) floats") {
            MPI_Bcast(buffer.baseAddress, Int32(buffer.count), cmpi_float(), 0, cmpi_comm_world())
        }
    }

    public func gather(_ values: [Double]) throws -> [[Double]] {
        var count = Int32(values.count)
        var counts = [Int32](repeating: 0, count: rank == 0 ? size : 0)
        try collective("MPI_Gather of the lengths") {
            MPI_Gather(&count, 1, cmpi_int(), &counts, 1, cmpi_int(), 0, cmpi_comm_world())
        }
        var offsets = [Int32](repeating: 0, count: counts.count)
        for i in counts.indices.dropFirst() { offsets[i] = offsets[i - 1] + counts[i - 1] }
        var all = [Double](repeating: 0, count: Int(counts.reduce(0, +)))
        var sent = values
        try collective("MPI_Gatherv of \(values.count) doubles") {
            MPI_Gatherv(&sent, count, cmpi_double(), &all, &counts, &offsets, cmpi_double(), 0, cmpi_comm_world())
        }
        return counts.indices.map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    public func broadcast(_ bytes: inout [UInt8]) throws {
        var length = Int32(bytes.count)
        try sleepingBroadcast(&length)
        if rank != 0 { bytes = [UInt8](repeating: 0, count: Int(length)) }
        guard length > 0 else { return }
        try bytes.withUnsafeMutableBytes { raw in
            try collective("MPI_Bcast of \(length) bytes") {
                MPI_Bcast(raw.baseAddress, length, cmpi_byte(), 0, cmpi_comm_world())
            }
        }
    }

    /// Broadcasts one integer from rank 0, polling with short sleeps: Open MPI's blocking calls
    /// busy-wait, which would burn a core on every rank for as long as rank 0 is paused.
    private func sleepingBroadcast(_ value: inout Int32) throws {
        var request = cmpi_request_null()
        try Self.check(MPI_Ibcast(&value, 1, cmpi_int(), 0, cmpi_comm_world(), &request), "MPI_Ibcast")
        var done: Int32 = 0
        var polls = 0
        while true {
            try Self.check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
            if done != 0 { return }
            polls += 1
            // The first polls cover the usual case, a rank a few microseconds behind, without a sleep.
            if polls > 100 { usleep(polls > 10_000 ? 10_000 : 100) }
        }
    }

    /// Runs one blocking collective under the watchdog and turns its error code into an error.
    private func collective(_ call: @autoclosure () -> String, _ body: () -> Int32) throws {
        let description = call()
        let code = watchdog.watching(description, body)
        try Self.check(code, description)
    }

    private static func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CommunicationError(description: "\(call()) failed: \(message) (a rank has probably died)")
    }
}

/// Watches the blocking collective in progress, if any, from a thread of its own, and calls
/// `onTimeout` once when one has lasted longer than `timeout` seconds.
final class CollectiveWatchdog: @unchecked Sendable {
    // @unchecked: `current` is read and written only while `lock` is held; the rest never changes.
    private let lock = NSLock()
    private var current: (call: String, since: Double)?
    private let timeout: Double

    init(timeout: Double, onTimeout: @escaping @Sendable (_ call: String, _ seconds: Double) -> Void) {
        self.timeout = timeout
        let thread = Thread { [self] in
            while true {
                sleep(1)
                if let (call, seconds) = overdue() {
                    onTimeout(call, seconds)
                    return
                }
            }
        }
        thread.name = "convtop-mpi-watchdog"
        thread.start()
    }

    func watching<Result>(_ call: String, _ body: () -> Result) -> Result {
        lock.withLock { current = (call, ProcessInfo.processInfo.systemUptime) }
        defer { lock.withLock { current = nil } }
        return body()
    }

    private func overdue() -> (String, Double)? {
        lock.withLock {
            guard let current else { return nil }
            let seconds = ProcessInfo.processInfo.systemUptime - current.since
            return seconds > timeout ? (current.call, seconds) : nil
        }
    }
}
