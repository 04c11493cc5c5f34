import Foundation
import Testing

/// A tmpfs of a few megabytes mounted on a fresh folder, to fill to the brim. Mounting needs root
/// (the tests run as root here and in CI); `unavailableReason` says why it cannot be had.
final class SmallFileSystem {
    let mountPoint: URL
    private var mounted = false

    init(megabytes: Int) throws {
        mountPoint = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "convtop-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let result = Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mountPoint.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: mountPoint)
            throw MountFailure(description: "mount -t tmpfs on \(mountPoint.path): \(result.output)")
        }
        mounted = true
    }

    /// Unmounts the file system and removes its folder; the tests call it in a `defer`, after
    /// the processes that wrote into it are gone. A file system still busy after 5 s is an issue.
    func unmount() {
        guard mounted else { return }
        var result = (status: Int32(0), output: "")
        for _ in 0..<50 {
            result = Self.run("/bin/umount", [mountPoint.path])
            if result.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard result.status == 0 else {
            Issue.record("\(mountPoint.path) is left mounted: \(result.output)")
            return
        }
        mounted = false
        try? FileManager.default.removeItem(at: mountPoint)
    }

    /// A path inside the file system.
    func path(_ relative: String) -> String { mountPoint.appendingPathComponent(relative).path }

    /// Bytes still free.
    var available: Int {
        var status = statvfs()
        guard statvfs(mountPoint.path, &status) == 0 else { return 0 }
        return Int(status.f_bavail) * Int(status.f_frsize)
    }

    /// Takes all but `bytes` of the free space with one file of allocated blocks.
    func fill(leaving bytes: Int = 0) throws {
        let filler = path("filler-\(UUID().uuidString)")
        let descriptor = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw MountFailure(description: "cannot create \(filler)") }
        defer { close(descriptor) }
        let size = available - bytes
        guard size > 0, posix_fallocate(descriptor, 0, off_t(size)) == 0 else {
            throw MountFailure(description: "cannot take \(size) of the \(available) free bytes of \(mountPoint.path)")
        }
    }

    /// Why no tmpfs can be mounted here (not root, or no permission in this container); nil when one can.
    static let unavailableReason: String? = {
        do {
            try SmallFileSystem(megabytes: 1).unmount()
            return nil
        } catch {
            // The reason a disabled suite names.
            print("no tmpfs for the disk-full tests: \(error)")
            return "\(error)"
        }
    }()

    struct MountFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static func run(_ program: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return (-1, "cannot start \(program)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
