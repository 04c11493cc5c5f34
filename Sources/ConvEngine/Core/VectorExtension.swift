import Foundation

/// The widest SIMD extension of the CPU this process runs on, by name, for reports.
enum VectorExtension {
    /// "avx-512", "avx2", "avx" or "sse2" on x86-64 (from the CPU's feature flags), "neon" on
    /// arm64.
    static let host: String = {
        #if arch(x86_64)
        let flags = cpuFlags()
        if flags.contains("avx512f") { return "avx-512" }
        if flags.contains("avx2") { return "avx2" }
        if flags.contains("avx") || flags.contains("avx1.0") { return "avx" }
        return "sse2"
        #elseif arch(arm64)
        return "neon"
        #else
        return "no vector unit known"
        #endif
    }()

    /// The CPU's feature flags, lowercased: /proc/cpuinfo's `flags` on Linux, the `machdep.cpu`
    /// feature lists on macOS; empty when neither can be read.
    private static func cpuFlags() -> Set<String> {
        #if os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map { $0.lowercased() })
        #elseif canImport(Darwin)
        var flags = Set<String>()
        for name in ["machdep.cpu.features", "machdep.cpu.leaf7_features"] {
            var size = 0
            guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { continue }
            var bytes = [CChar](repeating: 0, count: size)
            guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { continue }
            flags.formUnion(String(cString: bytes).split(separator: " ").map { $0.lowercased() })
        }
        return flags
        #else
        return []
        #endif
    }
}
