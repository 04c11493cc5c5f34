import Foundation

/// Where a headless run's lines go: standard output, or a log file once the terminal is gone.
final class LineOutput: @unchecked Sendable {
    // @unchecked: `handle` is only read and replaced while `lock` is held.
    private let lock = NSLock()
    private var handle = FileHandle.standardOutput

    /// Writes one line. A closed output is ignored: the run itself matters more than its log.
    func write(_ line: String) {
        lock.withLock {
            try? handle.write(contentsOf: Data((line + "\n").utf8))
        }
    }

    /// Appends every later line to `file` instead (created when missing).
    func redirect(to file: URL) {
        // Appending: the dashboard writes to the same log through its own descriptor.
        let descriptor = open(file.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        lock.withLock { handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true) }
        write("output continues here: the terminal went away (SIGHUP)")
    }
}
