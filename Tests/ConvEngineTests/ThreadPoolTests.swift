import ConvEngine
import Foundation
import Synchronization
import Testing

@Suite(.serialized) struct ThreadPoolTests {
    /// Counts how often each task index ran; each task writes only its own slot.
    final class RunCounts: @unchecked Sendable {
        // Unchecked because every task touches only `counts[t]` for its own index `t`.
        var counts: [Int]
        init(_ n: Int) { counts = Array(repeating: 0, count: n) }
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyTaskRunsExactlyOnce(threads: Int) {
        let pool = ThreadPool(threads: threads)
        #expect(pool.threadCount == threads)
        for tasks in [0, 1, 2, 3, 7, 64, 1000] {
            let runs = RunCounts(tasks)
            runs.counts.withUnsafeMutableBufferPointer { counts in
                pool.run(tasks: tasks) { t in counts[t] += 1 }
            }
            #expect(runs.counts == Array(repeating: 1, count: tasks), "tasks \(tasks)")
        }
    }

    /// Both tasks wait for each other, so they run on two threads at once: the creating thread and a
    /// worker. Each halves a value just above the smallest normal float, a denormal result that
    /// only a thread flushing denormals gets as zero.
    @Test func everyThreadFlushesDenormalsToZero() {
        let pool = ThreadPool(threads: 2)
        let started = Atomic<Int>(0)
        let results = RunResults(2)
        let justNormal = Float.leastNormalMagnitude * Float(pool.threadCount) / 2
        pool.run(tasks: 2) { t in
            started.add(1, ordering: .sequentiallyConsistent)
            var spins = 0
            while started.load(ordering: .sequentiallyConsistent) < 2 && spins < 100_000_000 { spins += 1 }
            results.values[t] = justNormal / 2
            results.threads[t] = pthread_self()
        }
        #expect(results.threads[0] != results.threads[1], "the two tasks ran on one thread")
        #expect(Array(results.values) == [0, 0])
    }

    /// What each task computed and on which thread; each task writes only its own slots.
    final class RunResults: @unchecked Sendable {
        // Unchecked because every task writes only slot `t` of each buffer. Buffers, not arrays: an
        // array's element assignment is a modifying access of the whole array, a race between tasks.
        let values: UnsafeMutableBufferPointer<Float>
        let threads: UnsafeMutableBufferPointer<pthread_t>
        init(_ n: Int) {
            values = .allocate(capacity: n)
            values.initialize(repeating: -1)
            threads = .allocate(capacity: n)
            threads.initialize(repeating: pthread_self())
        }
        deinit {
            values.deallocate()
            threads.deallocate()
        }
    }

    @Test func threadCountIsAtLeastOne() {
        #expect(ThreadPool(threads: 0).threadCount == 1)
        #expect(ThreadPool(threads: -3).threadCount == 1)
    }

    @Test func manyRapidCallsSeeEveryTask() {
        let pool = ThreadPool(threads: 2)
        let total = Atomic<Int>(0)
        // Job sizes change from call to call: a worker that read the next job's task count while
        // still holding the previous job's ticket once ran one task too many here (1 in ~7000 calls).
        var expected = 0
        for call in 0..<200_000 {
            let tasks = 2 + call % 3
            pool.run(tasks: tasks) { t in total.add(t + 1, ordering: .relaxed) }
            expected += tasks * (tasks + 1) / 2
        }
        #expect(total.load(ordering: .relaxed) == expected)
    }

    @Test func nestedRunExecutesInnerTasksOnce() {
        let pool = ThreadPool(threads: 2)
        let outer = 4, inner = 5
        var counts = Array(repeating: 0, count: outer * inner)
        counts.withUnsafeMutableBufferPointer { counts in
            pool.run(tasks: outer) { o in
                pool.run(tasks: inner) { i in counts[o * inner + i] += 1 }
            }
        }
        #expect(counts == Array(repeating: 1, count: outer * inner))
    }

    @Test func serialCallsFromSeveralPoolsAndAfterSleeping() async throws {
        let first = ThreadPool(threads: 2), second = ThreadPool(threads: 3)
        for pool in [first, second, first] {
            var out = Array(repeating: -1, count: 9)
            out.withUnsafeMutableBufferPointer { out in pool.run(tasks: 9) { t in out[t] = t * t } }
            #expect(out == (0..<9).map { $0 * $0 })
            // Long enough for the workers to stop spinning and go to sleep.
            try await Task.sleep(for: .milliseconds(30))
        }
    }

    @Test func concurrentCallersBothComplete() async {
        let pool = ThreadPool(threads: 2)
        let sums = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    let sum = Atomic<Int>(0)
                    for _ in 0..<500 { pool.run(tasks: 3) { t in sum.add(caller * 10 + t, ordering: .relaxed) } }
                    return sum.load(ordering: .relaxed)
                }
            }
            var all: [Int] = []
            for await s in group { all.append(s) }
            return all.sorted()
        }
        #expect(sums == (0..<4).map { 500 * ($0 * 30 + 3) })
    }
}
