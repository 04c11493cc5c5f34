import Foundation

/// What a soak found, printed at the end and written as `soak.json` into the run's folder.
struct SoakReport: Codable {
    struct Memory: Codable {
        /// Resident KiB after the first evaluation, when the run is steady.
        var startKiB: Int
        var endKiB: Int
        var peakKiB: Int
        var growthPercent: Double
        /// [seconds since the driver started, resident KiB], every few seconds.
        var samples: [[Double]]
    }

    var command: [String]
    var runFolder: String
    var minutes: Double
    var seed: UInt64
    var startedAt: String
    var loadAverageBefore: String
    var loadAverageAfter: String
    var crashes: Int
    var exitCode: Int32?
    var checkpoint: String?
    var memory: Memory?
    var keysPressed: Int
    var resizes: Int
    var slowestResponse: ResponseTimes.Sample?
    var slowestUIResponse: ResponseTimes.Sample?
    var slowestSessionResponse: ResponseTimes.Sample?
    var responses: [ResponseTimes.Summary]
    var missedResponses: [ResponseTimes.Miss]
    var interventions: Intervention.Reconciliation?
    var savesRequested: Int
    var checkpointsSaved: Int
    var evaluationsRequested: Int
    var evaluations: Int
    var epochsCompleted: Int
    /// The screen when the program died, if it did.
    var lastScreen: [String]?
    var failures: [String]

    static let memoryGrowthLimit = 5.0

    /// Every check the soak makes, as the failures it found.
    mutating func judge() {
        failures = []
        if crashes > 0 { failures.append("the program died") }
        if exitCode != 0 { failures.append("exit code \(exitCode.map(String.init) ?? "unknown"), not 0") }
        if checkpoint == nil { failures.append("no checkpoint at the end") }
        if let memory, memory.growthPercent >= Self.memoryGrowthLimit {
            failures.append(
                String(
                    format: "resident memory grew %.1f%% (limit %.0f%%)", memory.growthPercent,
                    Self.memoryGrowthLimit))
        }
        if memory == nil { failures.append("no memory figures (the run never reached its first evaluation)") }
        if !missedResponses.isEmpty { failures.append("\(missedResponses.count) key(s) without the expected change") }
        if let interventions {
            if !interventions.missing.isEmpty {
                failures.append("not in metrics.jsonl: " + interventions.missing.joined(separator: ", "))
            }
            if !interventions.unexpected.isEmpty {
                failures.append(
                    "in metrics.jsonl but not made by the driver: "
                        + interventions.unexpected.joined(separator: ", "))
            }
        }
        if checkpointsSaved < savesRequested {
            failures.append("\(savesRequested) saves asked for, \(checkpointsSaved) checkpoints journalled")
        }
        if evaluations < evaluationsRequested {
            failures.append("\(evaluationsRequested) evaluations asked for, \(evaluations) journalled")
        }
    }

    var summary: String {
        func response(_ r: ResponseTimes.Sample?) -> String {
            r.map { String(format: "%.3f s", $0.seconds) + " (\($0.action), at \(Int($0.at)) s)" } ?? "none"
        }
        var lines = [
            "soak: \(String(format: "%.1f", minutes)) min, \(keysPressed) keys, \(resizes) resizes, run \(runFolder)",
            "load average: before \(loadAverageBefore), after \(loadAverageAfter)",
            "crashes: \(crashes), exit code: \(exitCode.map(String.init) ?? "none"), checkpoint: \(checkpoint ?? "none")",
        ]
        if let m = memory {
            lines.append(
                String(
                    format: "resident memory: start %.1f MiB, end %.1f MiB, peak %.1f MiB, growth %+.2f%%",
                    Double(m.startKiB) / 1024, Double(m.endKiB) / 1024, Double(m.peakKiB) / 1024,
                    m.growthPercent))
        }
        lines.append("slowest response: \(response(slowestResponse))")
        lines.append(
            "  dashboard alone: \(response(slowestUIResponse)); via the session: \(response(slowestSessionResponse))")
        for s in responses {
            let name =
                s.action.padding(toLength: 18, withPad: " ", startingAt: 0)
                + s.path.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append(
                "  " + name
                    + String(
                        format: "n=%4d  median %.3f s  p95 %.3f s  max %.3f s",
                        s.count, s.medianSeconds, s.p95Seconds, s.maxSeconds))
        }
        lines.append("missed responses: \(missedResponses.count)")
        if let i = interventions {
            lines.append(
                "interventions: \(i.logged) by the driver, \(i.journalled) in metrics.jsonl, "
                    + "\(i.missing.count) missing, \(i.unexpected.count) unexpected")
        }
        lines.append(
            "saves: \(savesRequested) asked, \(checkpointsSaved) journalled; evaluations: "
                + "\(evaluationsRequested) asked, \(evaluations) journalled; epochs completed: \(epochsCompleted)")
        lines.append(failures.isEmpty ? "PASS" : "FAIL: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
