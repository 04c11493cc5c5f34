import Foundation

/// What a soak found, printed at the end and written as `soak.json` beside the run's folder.
struct SoakReport: Codable {
    struct Memory: Codable {
        /// Resident KiB of the trainer: the median of the minute after the warm-up (which ended
        /// `warmUpSeconds` into the soak), and of the last minute.
        var startKiB: Int
        var endKiB: Int
        /// The least resident KiB of those two minutes: what stays between transient buffers.
        var floorStartKiB: Int
        var floorEndKiB: Int
        var peakKiB: Int
        /// Growth of the floor, in percent.
        var growthPercent: Double
        var warmUpSeconds: Double
        /// [seconds since the driver started, resident KiB], every few seconds from the first evaluation.
        var samples: [[Double]]
    }

    /// The decode cache the trainer read its images through.
    struct DecodeCache: Codable {
        var folder: String
        /// The cache files before the trainer started and after, with their sizes.
        var filesBefore: [String]
        var filesAfter: [String]
        /// A file of the cache was there before and the trainer left it as it was: it read the
        /// images from it rather than decoding the files.
        var hit: Bool
        /// Seconds `convtop train --detach` took to return (it loads the data once itself).
        var detachSeconds: Double
    }

    /// A viewer that ended when the driver did not end it (or with another status than it should).
    struct ViewerCrash: Codable {
        var viewer: Int
        var exitStatus: Int32
        var at: Double
        var screen: [String]
    }

    var command: [String]
    var runFolder: String
    var minutes: Double
    var seed: UInt64
    var startedAt: String
    var decodeCache: DecodeCache?
    /// The 1-minute load average at the start, every minute of the soak, and at the end.
    var loadAverages: [String]
    var trainerPID: Int32?
    /// The trainer was alive at every check until the driver stopped it.
    var trainerAlive = false
    /// How the run ended after `convtop stop`: "finished", "failed: …", or "still running".
    var trainerEnd = ""
    var checkpoint: String?
    var memory: Memory?
    var viewersOpened = 0
    var closes: [String: Int] = [:]
    var viewerCrashes: [ViewerCrash] = []
    var oneShots: [String: Int] = [:]
    var oneShotFailures: [String] = []
    var keysPressed = 0
    var resizes = 0
    var slowestResponse: ResponseTimes.Sample?
    var medianResponseSeconds: Double?
    var slowestUIResponse: ResponseTimes.Sample?
    var slowestSessionResponse: ResponseTimes.Sample?
    var responses: [ResponseTimes.Summary] = []
    var missedResponses: [ResponseTimes.Miss] = []
    var interventions: Intervention.Reconciliation?
    var savesRequested = 0
    var checkpointsSaved = 0
    var evaluationsRequested = 0
    var evaluations = 0
    var epochsCompleted = 0
    var failures: [String] = []

    static let memoryGrowthLimit = 5.0

    /// Every check the soak makes, as the failures it found.
    mutating func judge() {
        failures = []
        // A run that ended by itself (its epochs done) is gone too: the soak is meant to hold a live one.
        if !trainerAlive { failures.append("the trainer was gone before the soak ended (its run: \(trainerEnd))") }
        if trainerEnd != "finished" { failures.append("after convtop stop the run is \(trainerEnd), not finished") }
        if !viewerCrashes.isEmpty {
            failures.append(
                "\(viewerCrashes.count) viewer(s) ended unasked: "
                    + viewerCrashes.map { "viewer \($0.viewer) status \($0.exitStatus)" }.joined(separator: ", "))
        }
        if checkpoint == nil { failures.append("no checkpoint at the end") }
        if let memory, memory.growthPercent >= Self.memoryGrowthLimit {
            failures.append(
                String(
                    format: "resident memory grew %.1f%% (limit %.0f%%)", memory.growthPercent,
                    Self.memoryGrowthLimit))
        }
        if memory == nil { failures.append("no memory figures (the soak never got past its warm-up)") }
        if !missedResponses.isEmpty {
            failures.append("\(missedResponses.count) action(s) without the expected change")
        }
        if !oneShotFailures.isEmpty {
            failures.append("one-shot commands failed: " + oneShotFailures.joined(separator: "; "))
        }
        if let interventions {
            if !interventions.missing.isEmpty {
                failures.append("not in metrics.jsonl: " + interventions.missing.joined(separator: ", "))
            }
            if !interventions.unexpected.isEmpty {
                failures.append(
                    "in metrics.jsonl but sent by nobody (or twice): "
                        + interventions.unexpected.joined(separator: ", "))
            }
        } else {
            failures.append("no intervention check (the soak never started its driver)")
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
        func counts(_ table: [String: Int]) -> String {
            table.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var lines = [
            "soak: \(String(format: "%.1f", minutes)) min, seed \(seed), \(keysPressed) keys, \(resizes) resizes, "
                + "run \(runFolder)",
            "load average (1 min): " + loadAverages.joined(separator: " "),
        ]
        if let c = decodeCache {
            lines.append(
                "decode cache \(c.folder): \(c.hit ? "hit" : "written") (\(c.filesAfter.joined(separator: ", "))); "
                    + String(format: "train --detach returned in %.1f s", c.detachSeconds))
        }
        lines.append(
            "trainer pid \(trainerPID.map(String.init) ?? "none"): \(trainerAlive ? "alive throughout" : "GONE before the end"), "
                + "after stop: \(trainerEnd); checkpoint: \(checkpoint ?? "none")")
        lines.append(
            "viewers: \(viewersOpened) attached, closed by \(counts(closes)); crashes: \(viewerCrashes.count)")
        lines.append(
            "one-shot commands: \(counts(oneShots)); failed: \(oneShotFailures.count)")
        if let m = memory {
            lines.append(
                String(
                    format:
                        "trainer resident memory (least of a minute): %.1f MiB after the %.0f s warm-up, "
                        + "%.1f MiB at the end, growth %+.2f%%; medians of those minutes %.1f and %.1f MiB, "
                        + "peak %.1f MiB",
                    Double(m.floorStartKiB) / 1024, m.warmUpSeconds, Double(m.floorEndKiB) / 1024, m.growthPercent,
                    Double(m.startKiB) / 1024, Double(m.endKiB) / 1024, Double(m.peakKiB) / 1024))
        }
        lines.append(
            "key to acknowledgement: slowest \(response(slowestResponse)), median "
                + (medianResponseSeconds.map { String(format: "%.3f s", $0) } ?? "none"))
        lines.append(
            "  dashboard alone: \(response(slowestUIResponse)); via the trainer: \(response(slowestSessionResponse))")
        for s in responses {
            let name =
                s.action.padding(toLength: 20, withPad: " ", startingAt: 0)
                + s.path.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append(
                "  " + name
                    + String(
                        format: "n=%4d  median %.3f s  p95 %.3f s  max %.3f s",
                        s.count, s.medianSeconds, s.p95Seconds, s.maxSeconds))
        }
        lines.append("missed responses: \(missedResponses.count)")
        if let i = interventions {
            lines.append("interventions sent (acknowledged): \(counts(i.sent))")
            lines.append("interventions in metrics.jsonl:     \(counts(i.journalled))")
            lines.append(
                "  \(i.missing.count) missing, \(i.unexpected.count) unexpected, "
                    + "\(i.unacknowledged.count) sent without acknowledgement")
        }
        lines.append(
            "saves: \(savesRequested) asked, \(checkpointsSaved) journalled; evaluations: "
                + "\(evaluationsRequested) asked, \(evaluations) journalled; epochs completed: \(epochsCompleted)")
        lines.append(failures.isEmpty ? "PASS" : "FAIL: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
