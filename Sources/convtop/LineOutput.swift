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
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        guard let log = try? FileHandle(forWritingTo: file) else { return }
        _ = try? log.seekToEnd()
        lock.withLock { handle = log }
        write("output continues here: the terminal went away (SIGHUP)")
    }
}
