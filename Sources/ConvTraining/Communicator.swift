import Foundation

/// The ranks of a data-parallel run and the collectives the training loop needs between them.
///
/// Every rank holds the same model; rank 0 also owns the run folder and the viewer. The worker
/// thread alone calls the collectives, at the same points on every rank and in the same order.
public protocol Communicator: AnyObject, Sendable {
    /// This process's rank, from 0.
    var rank: Int { get }
    /// The number of ranks in the run.
    var size: Int { get }
    /// Replaces `buffer` on every rank with the element-wise sum over all ranks.
    func sum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `buffer` on every rank with the element-wise sum over all ranks, in double precision.
    func sum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Every rank's `values`, in rank order, on rank 0; an empty list on the others. The ranks'
    /// lists may differ in length.
    func gather(_ values: [Double]) throws -> [[Double]]
    /// Replaces `buffer` on every rank with rank 0's.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `bytes` on every rank with rank 0's, whatever their length. Waiting ranks sleep
    /// rather than spin, since rank 0 may hold them for as long as its viewer keeps the run paused.
    func broadcast(_ bytes: inout [UInt8]) throws
}

extension Communicator {
    /// Whether this rank owns the run folder, the journal and the viewer.
    public var leads: Bool { rank == 0 }
}

/// A run of one process: every collective leaves its buffer as it is.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func gather(_ values: [Double]) -> [[Double]] { [values] }
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func broadcast(_ bytes: inout [UInt8]) {}
}

/// A collective that failed, most often because another rank died.
public struct CommunicationError: Error, CustomStringConvertible {
    public var description: String
}
