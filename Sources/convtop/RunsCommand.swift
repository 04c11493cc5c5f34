import ArgumentParser
import ConvTraining
import Foundation

/// `convtop runs`: the runs under runs/ and where each stands.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs and their states (running, paused, finished, stopped, failed, dead).",
        discussion: "A run is running while its process lives and answers on its socket; a run that "
            + "ended without finishing and has no process is dead (it was killed; its checkpoint is kept).")

    @OptionGroup var runs: RunsOptions

    @Flag(help: "One JSON object per run, one per line.")
    var json = false

    func run() throws {
        let statuses = RunStatus.list(runsDirectory: runs.runsDir)
        if json {
            for status in statuses { print(Self.jsonLine(status)) }
            return
        }
        print(Self.row(["NAME", "STATE", "EPOCH", "BEST", "LAST", "ELAPSED"]))
        for s in statuses {
            let state = s.pid.map { "\(s.state.rawValue) (pid \($0))" } ?? s.state.rawValue
            print(
                Self.row([
                    s.name, state, "\(s.epoch)/\(s.epochs)", Self.percent(s.bestAccuracy),
                    Self.percent(s.lastAccuracy), Self.duration(s.elapsed),
                ]))
        }
    }

    private static func row(_ cells: [String]) -> String {
        zip(cells, [24, 22, 8, 8, 8, 0]).map {
            $0.padding(toLength: max($1, $0.count + 1), withPad: " ", startingAt: 0)
        }
        .joined().trimmingCharacters(in: .whitespaces)
    }

    private static func percent(_ value: Float?) -> String {
        value.map { String(format: "%.2f%%", $0 * 100) } ?? "-"
    }

    private static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    static func jsonLine(_ s: RunStatus) -> String {
        var object: [String: Any] = [
            "name": s.name, "folder": s.folder, "state": s.state.rawValue, "epoch": s.epoch,
            "epochs": s.epochs, "elapsed": s.elapsed,
        ]
        object["pid"] = s.pid.map { Int($0) }
        object["best_accuracy"] = s.bestAccuracy.map { Double($0) }
        object["last_accuracy"] = s.lastAccuracy.map { Double($0) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
