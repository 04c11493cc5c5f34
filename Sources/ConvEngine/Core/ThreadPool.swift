import Foundation
import Synchronization

/// A fixed set of worker threads that every heavy engine operation shares.
///
/// `run(tasks:_:)` calls `body(t)` for every task index `t` in `0..<tasks` exactly once and returns
/// when all have finished; the calling thread runs tasks too. Callers partition their work by task
/// index so that no two tasks write the same memory, which keeps results independent of which
/// thread happens to run which task.
///
/// The `threadCount - 1` workers are created once. Between jobs a worker spins briefly (a training
/// step issues many small jobs back to back) and then sleeps on a condition variable, so an idle
/// pool costs no CPU. A `run` issued from inside a task, or while another thread is using the pool,
/// runs its tasks serially on the calling thread instead of waiting.
///
/// The workers and the thread that creates the pool (in convtop, the one that then trains or
/// evaluates with it) flush denormal floats to zero: see `DenormalFlush`.
public final class ThreadPool: Sendable {
    /// Number of threads that run tasks, the calling thread included.
    public let threadCount: Int
    private let shared: PoolState

    /// Creates a pool of `threads` threads in total (the caller of `run` counts as one of them).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        threadCount = max(1, threads)
        shared = PoolState()
        DenormalFlush.enableOnCurrentThread()
        for _ in 1..<threadCount {
            let state = shared
            let thread = Thread {
                DenormalFlush.enableOnCurrentThread()
                state.workerLoop()
            }
            thread.name = "convtop-pool"
            thread.start()
        }
    }

    deinit {
        shared.shutDown()
    }

    /// Runs `body(t)` for every `t` in `0..<tasks` across the pool and returns when all are done.
    public func run(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 1, threadCount > 1, shared.acquire() else {
            for t in 0..<tasks { body(t) }
            return
        }
        defer { shared.release() }
        withoutActuallyEscaping(body) { escapable in
            // The job crosses to the workers as an unretained pointer: workers call the closure
            // only between `publish` and the moment `finish` has seen every task completed, and
            // hold no reference to it afterwards, so it really does not escape this block.
            let job = Job(body: escapable, tasks: tasks)
            withExtendedLifetime(job) {
                shared.publish(job)
                shared.finish(job)
            }
        }
    }
}

/// One `run` call as the workers see it.
private final class Job {
    let body: (Int) -> Void
    let tasks: Int
    init(body: @escaping (Int) -> Void, tasks: Int) {
        self.body = body
        self.tasks = tasks
    }
}

/// State shared between the caller of `run` and the workers.
///
/// `ticket` packs the job generation (high 32 bits) and the next unclaimed task index (low 32
/// bits) into one word, so claiming a task with compare-and-swap also proves that the job it was
/// read from is still the current one: a job ends only after all its tasks were claimed.
private final class PoolState: @unchecked Sendable {
    // Unchecked because of `job`, an unretained pointer to a non-Sendable closure box: it is
    // published by the one thread that holds `busy`, and a worker dereferences it only after
    // claiming a task of that job's generation, that is, while the publishing `run` still waits.
    private let ticket = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let job = Atomic<UInt>(0)
    private let taskCount = Atomic<Int>(0)
    private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The task index of a closed generation: above any task count.
    private static let closedIndex: UInt64 = 0xFFFF_FFFF

    /// Spin iterations before a waiting thread sleeps; about 500 microseconds here. Shorter
    /// (50 microseconds) let the worker fall asleep in the gaps of small steps and pay a wake-up:
    /// LeNet at batch 32 and 128 trained about 5% slower.
    private static let spinLimit = 200_000

    init() {
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wakeUp, nil)
    }

    deinit {
        pthread_cond_destroy(wakeUp)
        pthread_mutex_destroy(sleepLock)
        wakeUp.deallocate()
        sleepLock.deallocate()
    }

    func acquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() {
        job.store(0, ordering: .relaxed)
        busy.store(false, ordering: .releasing)
    }

    func publish(_ job: Job) {
        // First a closed generation, whose only index no count reaches: a worker still holding a
        // ticket of the previous job must fail its claim before the new count becomes visible,
        // or it would read the new count, claim with the old ticket and run a task of the new job.
        let previous = ticket.load(ordering: .relaxed) >> 32
        ticket.store(((previous &+ 1) << 32) | Self.closedIndex, ordering: .sequentiallyConsistent)
        self.job.store(UInt(bitPattern: Unmanaged.passUnretained(job).toOpaque()), ordering: .releasing)
        taskCount.store(job.tasks, ordering: .releasing)
        completed.store(0, ordering: .relaxed)
        ticket.store((previous &+ 2) << 32, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(sleepLock)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(sleepLock)
        }
    }

    /// Runs tasks on the calling thread until none is left, then waits for the workers' last ones.
    func finish(_ job: Job) {
        let generation = ticket.load(ordering: .relaxed) >> 32
        work(on: UInt(bitPattern: Unmanaged.passUnretained(job).toOpaque()), generation: generation)
        var spins = 0
        while completed.load(ordering: .acquiring) < job.tasks {
            spins += 1
            if spins > Self.spinLimit { sched_yield() }
        }
    }

    func shutDown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let generation = (ticket.load(ordering: .relaxed) >> 32) &+ 1
        ticket.store(generation << 32, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(sleepLock)
        pthread_cond_broadcast(wakeUp)
        pthread_mutex_unlock(sleepLock)
    }

    func workerLoop() {
        var seen: UInt64 = 0
        while true {
            let generation = waitForJob(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            seen = generation
            work(on: job.load(ordering: .acquiring), generation: generation)
        }
    }

    /// Claims and runs tasks of the job at `address` while it is the job of `generation`.
    ///
    /// The address may be stale (or zero) when a worker wakes late; it is only dereferenced after
    /// a successful claim, which proves that the generation, and so the job, is still current.
    private func work(on address: UInt, generation: UInt64) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation {
            let index = Int(current & 0xFFFF_FFFF)
            // A count read from a newer job only stops a worker whose job has already ended: the
            // acquiring load orders this claim after the closing store that preceded the count.
            if index >= taskCount.load(ordering: .acquiring) { return }
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing)
            if exchanged, let pointer = UnsafeRawPointer(bitPattern: address) {
                Unmanaged<Job>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.body(index) }
                completed.add(1, ordering: .releasing)
                current = ticket.load(ordering: .acquiring)
            } else {
                current = original
            }
        }
    }

    /// Returns the first generation newer than `seen`, spinning for a while and then sleeping.
    private func waitForJob(after seen: UInt64) -> UInt64 {
        for _ in 0..<Self.spinLimit {
            let generation = ticket.load(ordering: .acquiring) >> 32
            if generation != seen { return generation }
        }
        pthread_mutex_lock(sleepLock)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var generation = ticket.load(ordering: .sequentiallyConsistent) >> 32
        while generation == seen {
            pthread_cond_wait(wakeUp, sleepLock)
            generation = ticket.load(ordering: .sequentiallyConsistent) >> 32
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(sleepLock)
        return generation
    }
}
