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

    /// The process whose command line names `executable` and contains `argument` (the run's own
    /// folder, unique to this soak), so that other convtop processes on the machine are never taken.
    static func process(executable: String, argument: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let first = arguments.first, first.hasSuffix(executable), arguments.contains(argument) { return pid }
        }
        return nil
    }
}
