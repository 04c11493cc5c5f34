import Foundation

/// Loads the next batches on a background thread while the engine works on the current one.
///
/// Batches come out of `next()` in order, starting at any position, and are the same as
/// `BatchLoader.load` would give. Hand each batch back with `recycle(_:)` once done: its buffers
/// are then refilled in place, so the steady state allocates nothing.
public final class PrefetchingBatchLoader: Sendable {
    private let queue: PrefetchQueue

    /// Starts prefetching at `start`, stopping before epoch `endEpoch` (never, if nil).
    /// `depth` is how many ready batches may wait.
    public init(
        _ loader: BatchLoader, from start: BatchPosition = BatchPosition(epoch: 0, batch: 0),
        endEpoch: Int? = nil, depth: Int = 3
    ) {
        precondition(depth > 0, "prefetch depth must be positive")
        let queue = PrefetchQueue(depth: depth)
        self.queue = queue
        let thread = Thread { queue.produce(loader, from: start, endEpoch: endEpoch) }
        thread.name = "convtop-loader"
        thread.start()
    }

    deinit { stop() }

    /// The next batch, waiting for it if needed; nil after `endEpoch` or `stop()`.
    public func next() -> Batch? { queue.take() }

    /// Returns a batch's buffers for reuse.
    public func recycle(_ batch: consuming Batch) { queue.recycle(batch) }

    /// How many batches' storage the loader has allocated so far: stays within `depth + 2`
    /// when every batch is recycled, so a steady run allocates nothing per batch.
    public var batchesAllocated: Int { queue.batchesAllocated }

    /// Stops the background thread and waits until it has finished its current batch.
    public func stop() { queue.stop() }
}

/// State shared by the consumer and the producer thread.
///
/// `@unchecked Sendable` is safe because every stored property is read and written only while
/// holding `condition`'s lock; batches move in and out by value, so no buffer is ever shared.
private final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let depth: Int
    private var ready: [Batch] = []
    private var spare: [Batch] = []
    private var stopping = false
    private var finished = false
    private var allocated = 0

    init(depth: Int) {
        self.depth = depth
        ready.reserveCapacity(depth)
        spare.reserveCapacity(depth + 2)
    }

    func produce(_ loader: BatchLoader, from start: BatchPosition, endEpoch: Int?) {
        var position = start
        var order = loader.order(epoch: position.epoch)
        condition.lock()
        while endEpoch.map({ position.epoch < $0 }) ?? true, loader.batchesPerEpoch > 0 {
            while ready.count >= depth && !stopping { condition.wait() }
            if stopping { break }
            var batch =
                spare.popLast()
                ?? {
                    allocated += 1
                    return loader.makeBatch()
                }()
            condition.unlock()

            loader.load(position, order: order, into: &batch)
            position.batch += 1
            if position.batch == loader.batchesPerEpoch {
                position = BatchPosition(epoch: position.epoch + 1, batch: 0)
                if endEpoch.map({ position.epoch < $0 }) ?? true { order = loader.order(epoch: position.epoch) }
            }

            condition.lock()
            ready.append(batch)
            condition.broadcast()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    var batchesAllocated: Int { condition.withLock { allocated } }

    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished && !stopping { condition.wait() }
        guard !ready.isEmpty, !stopping else { return nil }
        let batch = ready.removeFirst()
        condition.broadcast()
        return batch
    }

    func recycle(_ batch: consuming Batch) {
        condition.lock()
        if spare.count < depth + 2 { spare.append(batch) }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
