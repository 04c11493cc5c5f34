import Foundation

/// Replaces a file so that, whatever happens (a full disk, `kill -9`, a power cut after the
/// rename), the path holds either the complete old contents or the complete new ones.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file in the target's folder, flushes it to disk, renames it
    /// over `path` and flushes the folder. On failure the temporary file is removed, the old file
    /// is untouched, and the error names `path` and the system's reason.
    public static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // Same folder so that rename is atomic; a dot name so that listings of checkpoints skip it.
        let temporaryPrefix = ".\(name).tmp-"
        let temporary = "\(folder)\(temporaryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        removeAbandoned(prefix: temporaryPrefix, in: folder)

        func failure(_ action: String) -> CheckpointError {
            CheckpointError(
                file: path,
                problem: "cannot \(action): \(String(cString: strerror(errno))); the previous file is unchanged")
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        var isOpen = true
        var renamed = false
        defer {
            if isOpen { close(fd) }
            if !renamed { unlink(temporary) }
        }

        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { writeBytes(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("write \(temporary)")
            }
            written += count
        }
        guard fsync(fd) == 0 else { throw failure("flush \(temporary) to disk") }
        isOpen = false
        guard close(fd) == 0 else { throw failure("close \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary) to \(path)") }
        renamed = true

        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        defer { close(directory) }
        // Some filesystems cannot flush a folder (EINVAL); the rename itself has still happened.
        if fsync(directory) != 0 && errno != EINVAL {
            throw CheckpointError(
                file: path, problem: "saved, but cannot flush its folder to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// Deletes temporary files that a killed writer left behind: those whose process is gone.
    private static func removeAbandoned(prefix: String, in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else {
            return
        }
        for name in names where name.hasPrefix(prefix) {
            let writer = name.dropFirst(prefix.count).prefix { $0 != "-" }
            if let pid = pid_t(writer), kill(pid, 0) != 0, errno == ESRCH { unlink(folder + name) }
        }
    }
}

/// `write(2)`, reachable under another name inside `AtomicFile.write`.
private func writeBytes(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
