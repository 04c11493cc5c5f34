import ConvEngine
import Foundation

/// Batch-norm sums added over the ranks of a data-parallel run (`--sync-bn`), so that every rank
/// normalises with the statistics of the global batch, as one process training it would.
///
/// The engine's layers cannot throw, so the first failed collective is kept in `failure` for the
/// worker to end the run with after the step's backward pass; the layers go on with this rank's
/// own sums until then.
final class SynchronizedBatchStatistics: BatchStatisticsSynchronizer {
    private let communicator: any Communicator
    private(set) var failure: CommunicationError?
    /// Time spent in the collectives since `takeSeconds` was last called.
    private var seconds = 0.0

    init(communicator: any Communicator) {
        self.communicator = communicator
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard failure == nil else { return }
        let start = ProcessInfo.processInfo.systemUptime
        do {
            try communicator.sum(values)
        } catch {
            failure = error as? CommunicationError ?? CommunicationError(description: "\(error)")
        }
        seconds += ProcessInfo.processInfo.systemUptime - start
    }

    /// The seconds spent in collectives since the previous call.
    func takeSeconds() -> Double {
        defer { seconds = 0 }
        return seconds
    }
}
