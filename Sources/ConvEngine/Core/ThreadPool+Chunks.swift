extension ThreadPool {
    /// The `task`-th of `tasks` nearly equal, contiguous parts of `0..<count`.
    @inline(__always)
    static func chunk(_ task: Int, of tasks: Int, count: Int) -> Range<Int> {
        (task * count / tasks)..<((task + 1) * count / tasks)
    }

    /// Runs `body` over contiguous ranges covering `0..<count`, in parallel when each range gets
    /// at least `minimumChunk` items; below that one thread is cheaper than waking the others.
    func forEachChunk(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        let tasks = max(1, min(threadCount, count / max(1, minimumChunk)))
        run(tasks: tasks) { t in body(ThreadPool.chunk(t, of: tasks, count: count)) }
    }
}
