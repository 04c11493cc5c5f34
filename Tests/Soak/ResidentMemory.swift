import Foundation

/// A process's resident memory, read from `/proc/<pid>/status` (`VmRSS`, in KiB).
enum ResidentMemory {
    /// Resident KiB of `pid`, or `nil` when the process is gone.
    static func kibibytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

}
