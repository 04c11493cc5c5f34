/// Key-to-screen response times, grouped by what was pressed.
///
/// A response is the time from sending the key until the screen shows the change it asks for. `ui`
/// responses are the dashboard's own (screens, prompt, resize); `session` responses wait for the
/// training worker, which takes commands only between steps (and not during an evaluation).
struct ResponseTimes {
    enum Path: String, Codable { case ui, session }

    struct Sample: Codable {
        var action: String
        var path: Path
        var seconds: Double
        /// Seconds since the driver started.
        var at: Double
    }

    /// What one action measured, for the report.
    struct Summary: Codable {
        var action: String
        var path: Path
        var count: Int
        var medianSeconds: Double
        var p95Seconds: Double
        var maxSeconds: Double
    }

    private(set) var samples: [Sample] = []
    /// Responses that never came, with the screen at the time.
    private(set) var missed: [Miss] = []

    struct Miss: Codable {
        var action: String
        var waitingFor: String
        var at: Double
        var screen: [String]
    }

    mutating func add(_ action: String, path: Path, seconds: Double, at: Double) {
        samples.append(Sample(action: action, path: path, seconds: seconds, at: at))
    }

    mutating func miss(_ action: String, waitingFor: String, at: Double, screen: [String]) {
        missed.append(Miss(action: action, waitingFor: waitingFor, at: at, screen: screen))
    }

    var slowest: Sample? { samples.max { $0.seconds < $1.seconds } }

    /// The median of every response, nil before the first.
    var median: Double? { samples.isEmpty ? nil : Self.quantile(samples.map(\.seconds).sorted(), 0.5) }

    func slowest(on path: Path) -> Sample? { samples.filter { $0.path == path }.max { $0.seconds < $1.seconds } }

    var summaries: [Summary] {
        Dictionary(grouping: samples, by: \.action).map { action, group in
            let sorted = group.map(\.seconds).sorted()
            return Summary(
                action: action, path: group[0].path, count: sorted.count,
                medianSeconds: Self.quantile(sorted, 0.5), p95Seconds: Self.quantile(sorted, 0.95),
                maxSeconds: sorted.last ?? 0)
        }.sorted { ($0.path.rawValue, -$0.maxSeconds) < ($1.path.rawValue, -$1.maxSeconds) }
    }

    /// Nearest-rank quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(sorted.count - 1, max(0, rank))]
    }
}
