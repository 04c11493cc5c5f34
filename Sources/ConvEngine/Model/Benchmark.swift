import Foundation

/// One figure measured by `convtop bench`: ordered key/value pairs printed as a JSON object.
public struct BenchmarkRecord: Sendable, Equatable {
    /// A JSON scalar.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case number(Double)
        case bool(Bool)

        var json: String {
            switch self {
            case .string(let s):
                "\""
                    + s.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "\"", with: "\\\"") + "\""
            case .int(let i): String(i)
            case .number(let d): String(format: "%.1f", d)
            case .bool(let b): b ? "true" : "false"
            }
        }
    }

    public var fields: [(key: String, value: Value)]

    public init(_ fields: [(key: String, value: Value)]) {
        self.fields = fields
    }

    /// The record as one line of JSON, keys in order.
    public var json: String {
        "{" + fields.map { "\"\($0.key)\":\($0.value.json)" }.joined(separator: ",") + "}"
    }

    public static func == (lhs: BenchmarkRecord, rhs: BenchmarkRecord) -> Bool { lhs.json == rhs.json }
}

/// Steady-state throughput measurement shared by every `convtop bench` figure.
public enum Benchmark {
    /// Calls `step` for about `seconds / 5` to warm caches and buffers, then in five rounds of
    /// `seconds / 5` each, and returns the median rate in steps per second. The median of rounds
    /// keeps a burst of load from other processes on this shared machine out of the figure.
    public static func stepsPerSecond(seconds: Double, _ step: () -> Void) -> Double {
        let round = max(seconds / 5, 0.01)
        _ = timedRound(round, step)
        var rates = (0..<5).map { _ in timedRound(round, step) }
        rates.sort()
        return rates[2]
    }

    /// Runs `step` until `duration` seconds have passed; returns steps per second.
    private static func timedRound(_ duration: Double, _ step: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        var steps = 0, elapsed = 0.0
        repeat {
            step()
            steps += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < duration
        return Double(steps) / elapsed
    }
}
