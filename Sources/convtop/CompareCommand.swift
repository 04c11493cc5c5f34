import ArgumentParser
import ConvTUI
import ConvTraining
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `convtop compare RUN RUN...`: runs side by side, read from their journals as they grow.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Overlay the loss and accuracy curves of several runs, live for running ones.",
        discussion: """
            Each run has its own colour and marker (● ■ ▲ ◆ ○ □ △ ◇), so the charts read without \
            colour too; x counts epochs, so runs with other batch sizes line up. Learning-rate changes \
            (▲) and pauses (‖) are marked on the x axis in the run's colour. The table lists each run's \
            state, best accuracy, the settings in which the runs differ and their interventions. Runs \
            are read from their metrics.jsonl, followed as they grow; their sockets are not touched.
            """)

    @Argument(help: ArgumentHelp("The runs: names under --runs-dir, or folders.", valueName: "run"))
    var runNames: [String]

    @OptionGroup var runs: RunsOptions

    @Flag(help: "Charts without colours (NO_COLOR is honoured too).")
    var noColor = false

    func validate() throws {
        guard (2...ComparisonState.maximumRuns).contains(runNames.count) else {
            throw ValidationError(
                "give between 2 and \(ComparisonState.maximumRuns) runs to compare, got \(runNames.count)")
        }
    }

    /// How often each run's process is looked for, in seconds: a run that dies shows as dead.
    static let servedCheckInterval = 2.0

    func run() throws {
        let folders = try runNames.map { try runs.folder($0) }
        let journals = try folders.map { try JournalTail(url: $0.metricsFile) }
        // The socket is asked once; after that the process is only looked for, so that watching
        // costs the runs nothing (each connection would be sent the run's history).
        let processes = folders.map { $0.servingProcess() }
        let initial = ComparisonState(
            runs: zip(folders, processes).map { ComparedRun(name: $0.name, isServed: $1 != nil) })
        let signals = RunSignals(onHangUp: {})
        var terminal = try NCursesTerminal(colorPreference: noColor ? .never : .automatic)
        TerminalRescue.install()
        var lastServedCheck = Date()
        Comparison.run(terminal: &terminal, state: initial) { state in
            if signals.interrupted || signals.hungUp { state.quit() }
            var changed = false
            for (index, journal) in journals.enumerated() {
                for record in journal.read() {
                    state.apply(record.event, toRun: index)
                    changed = true
                }
            }
            if Date().timeIntervalSince(lastServedCheck) >= Self.servedCheckInterval {
                lastServedCheck = Date()
                for (index, process) in processes.enumerated() {
                    let served = process.map { kill($0, 0) == 0 } ?? false
                    if served != state.runs[index].isServed {
                        state.setServed(served, run: index)
                        changed = true
                    }
                }
            }
            return changed
        }
        terminal.close()
    }
}
