import CMPI
import Foundation

/// The ranks of an `mpirun` launch, over Open MPI's `MPI_COMM_WORLD`.
///
/// MPI is initialised only when the environment says `mpirun` started this process, so a plain
/// `convtop train` never loads the MPI runtime's state or prints its warnings.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int

    /// The communicator for this launch: MPI's when `mpirun` started the process, else a single process.
    public static func forLaunch(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> any Communicator
    {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else {
            return SingleProcess()
        }
        return try MPICommunicator()
    }

    private init() throws {
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
    }

    /// Ends MPI for this process; call once, after the worker thread has ended.
    public func finalize() {
        MPI_Finalize()
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try Self.check(
            MPI_Allreduce(
                cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(),
                cmpi_sum(), cmpi_comm_world()), "MPI_Allreduce of \(buffer.count) floats")
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try Self.check(
            MPI_Bcast(buffer.baseAddress, Int32(buffer.count), cmpi_float(), 0, cmpi_comm_world()),
            "MPI_Bcast of \(buffer.count) floats")
    }

    public func broadcast(_ bytes: inout [UInt8]) throws {
        var length = Int32(bytes.count)
        try sleepingBroadcast(&length)
        if rank != 0 { bytes = [UInt8](repeating: 0, count: Int(length)) }
        guard length > 0 else { return }
        try bytes.withUnsafeMutableBytes { raw in
            try Self.check(
                MPI_Bcast(raw.baseAddress, length, cmpi_byte(), 0, cmpi_comm_world()), "MPI_Bcast of \(length) bytes")
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

    private static func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        throw CommunicationError(description: "\(call()) failed: \(String(cString: text)) (a rank has probably died)")
    }
}
