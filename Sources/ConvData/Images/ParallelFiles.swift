import Foundation

/// Runs `body(index)` for every index in `0..<count` on `threads` threads, each taking the next
/// index as it finishes one, and reports progress after each.
enum ParallelFiles {
    static func forEach(
        _ count: Int, threads: Int, progress: (@Sendable (Int) -> Void)?,
        _ body: @Sendable (Int) -> Void
    ) {
        let counter = SharedCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while true {
                let index = counter.take()
                guard index < count else { return }
                body(index)
                progress?(counter.finish())
            }
        }
    }
}

/// The next index to hand out and the number finished.
///
/// `@unchecked Sendable` is safe because both counts are only touched under `lock`.
private final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var finished = 0

    func take() -> Int {
        lock.withLock {
            defer { next += 1 }
            return next
        }
    }

    func finish() -> Int {
        lock.withLock {
            finished += 1
            return finished
        }
    }
}

/// Per-index results written by the threads of `ParallelFiles.forEach`.
///
/// `@unchecked Sendable` is safe because each index is written by exactly one thread, into
/// storage allocated once (never reallocated), and read only after `forEach` has returned, which
/// waits for every thread.
final class DisjointResults<Element>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Element>

    init(repeating value: Element, count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: value)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    subscript(index: Int) -> Element {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    var values: [Element] { Array(storage) }
}

/// One byte buffer (in memory, or a part of a file mapped for writing) that the threads of
/// `ParallelFiles.forEach` fill in disjoint ranges.
///
/// `@unchecked Sendable` is safe for the same reason as `DisjointResults`: every range is written
/// by one thread into storage allocated once, and the bytes are read only after the threads finish.
final class DisjointBytes: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<UInt8>
    /// The mapped file the bytes belong to, kept alive with them; nil for memory of our own.
    private let mapping: MappedFile?

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
        mapping = nil
    }

    /// `count` bytes of `mapping` from `offset`.
    init(mapping: MappedFile, offset: Int, count: Int) {
        storage = UnsafeMutableBufferPointer(
            rebasing: mapping.mutableBytes.bindMemory(to: UInt8.self)[offset..<(offset + count)])
        self.mapping = mapping
    }

    deinit { if mapping == nil { storage.deallocate() } }

    func write(_ source: [UInt8], at offset: Int) {
        source.withUnsafeBufferPointer { source in
            (storage.baseAddress! + offset).update(from: source.baseAddress!, count: source.count)
        }
    }

    /// The bytes at `range`.
    subscript(range: Range<Int>) -> ArraySlice<UInt8> { ArraySlice(UnsafeBufferPointer(rebasing: storage[range])) }
}
