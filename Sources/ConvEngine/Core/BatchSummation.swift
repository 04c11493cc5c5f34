/// The one order in which the engine adds up what it sums over the samples of a batch: weight and
/// bias gradients, batch-norm statistics and their gradient sums, the loss.
///
/// The samples `0..<n` are cut at `n / 2` (rounded down), each half again, down to runs of at most
/// `leafSize` samples, the leaves. A leaf is summed sample after sample from zero; each cut adds
/// the sums of its two halves. The order so depends on the batch's size alone, never on the
/// thread count (threads take whole leaves and the cuts are made in the same order for every
/// element), and a batch that two processes share as data-parallel ranks split it (the first
/// `n / 2` samples to rank 0) gives each rank the exact sum of one half: adding the two, as a
/// two-rank `MPI_Allreduce` does, is the one-process sum bit for bit. That holds for batches of
/// more than `leafSize` samples, which are cut at least once.
struct BatchSummation {
    /// The longest run of samples summed in sequence: long enough for the products of a leaf to
    /// make well-shaped GEMMs, short enough for batches of 32 and more to spread over threads.
    static let leafSize = 16

    /// The leaves, in sample order.
    let leaves: [Range<Int>]
    /// The cuts in the order they are added: leaf `into`'s running sum += leaf `from`'s; after the
    /// last, leaf 0 holds the batch's sum.
    private let cuts: [(into: Int, from: Int)]

    init(samples n: Int) {
        var leaves: [Range<Int>] = [], cuts: [(into: Int, from: Int)] = []
        /// Cuts `samples` into leaves and returns the leaf that ends up holding their sum.
        func cut(_ samples: Range<Int>) -> Int {
            guard samples.count > Self.leafSize else {
                leaves.append(samples)
                return leaves.count - 1
            }
            let middle = samples.lowerBound + samples.count / 2
            let left = cut(samples.lowerBound..<middle), right = cut(middle..<samples.upperBound)
            cuts.append((left, right))
            return left
        }
        if n > 0 { _ = cut(0..<n) }
        self.leaves = leaves
        self.cuts = cuts
    }

    /// The tree's sum of per-leaf values: `leaf(index, samples)` sums one leaf's samples in order,
    /// `add` adds two sums of adjacent runs (the earlier one first); nil for an empty batch.
    func reduce<Value>(_ leaf: (Int, Range<Int>) -> Value, _ add: (Value, Value) -> Value) -> Value? {
        guard !leaves.isEmpty else { return nil }
        // On the stack: batch norm reduces once per channel and pass.
        return withUnsafeTemporaryAllocation(of: Value.self, capacity: leaves.count) { buffer in
            let sums = buffer.baseAddress!
            for i in leaves.indices { (sums + i).initialize(to: leaf(i, leaves[i])) }
            for cut in cuts { sums[cut.into] = add(sums[cut.into], sums[cut.from]) }
            defer { sums.deinitialize(count: leaves.count) }
            return sums[0]
        }
    }

    /// The tree's sum of `value(sample)` over the batch, in Double.
    func sum(_ value: (Int) -> Double) -> Double {
        reduce({ _, samples in samples.reduce(0.0) { $0 + value($1) } }, +) ?? 0
    }

    /// Runs `body(task, leaf index, samples)` for every leaf, the leaves split between the pool's
    /// threads in contiguous runs (`task` tells each run's scratch apart); returns the task count.
    @discardableResult
    func forEachLeaf(on pool: ThreadPool, _ body: (Int, Int, Range<Int>) -> Void) -> Int {
        let tasks = self.tasks(on: pool)
        pool.run(tasks: tasks) { t in
            for leaf in ThreadPool.chunk(t, of: tasks, count: leaves.count) { body(t, leaf, leaves[leaf]) }
        }
        return tasks
    }

    /// The number of tasks `forEachLeaf` runs: one per thread, at most one per leaf.
    func tasks(on pool: ThreadPool) -> Int { max(1, min(pool.threadCount, leaves.count)) }

    /// `target[0..<count] += ` the tree's sum of the leaves' partial sums, leaf i's at
    /// `partials + i * stride`; the partials are overwritten. Each element is added in the tree's
    /// order, the elements split between the pool's threads.
    func accumulate<Value: BinaryFloatingPoint>(
        _ partials: UnsafeMutablePointer<Value>, stride: Int, count: Int,
        into target: UnsafeMutablePointer<Value>, pool: ThreadPool
    ) {
        combine(partials, stride: stride, count: count, pool: pool) { elements in
            for i in elements { target[i] += partials[i] }
        }
    }

    /// Leaves the tree's sum of the leaves' partial sums (leaf i's at `partials + i * stride`) in
    /// leaf 0's, for a caller that adds it somewhere in its own layout, and calls `body` with each
    /// thread's range of the `count` elements once they are summed. An empty batch has no leaf 0.
    func combine<Value: BinaryFloatingPoint>(
        _ partials: UnsafeMutablePointer<Value>, stride: Int, count: Int, pool: ThreadPool,
        then body: (Range<Int>) -> Void = { _ in }
    ) {
        guard !leaves.isEmpty else { return }
        pool.forEachChunk(count: count, minimumChunk: 4096) { elements in
            for cut in cuts {
                let into = partials + cut.into * stride, from = partials + cut.from * stride
                for i in elements { into[i] += from[i] }
            }
            body(elements)
        }
    }
}
