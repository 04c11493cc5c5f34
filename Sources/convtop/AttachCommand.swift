import ArgumentParser
import ConvProtocol
import ConvTUI
import ConvTraining
import Foundation

/// `convtop attach`: the dashboard of a run going on in another process, through its socket.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Open the dashboard on a running run (default: the newest running run).",
        discussion: "Every key works as in a local run. d detaches (the run goes on); q asks whether to stop "
            + "the run or detach; Ctrl-C detaches.")

    @Argument(help: ArgumentHelp("The run: its name under --runs-dir, or its folder.", valueName: "run"))
    var runName: String?

    @OptionGroup var runs: RunsOptions

    @OptionGroup var dashboard: DashboardArguments

    func run() throws {
        let (folder, connection) = try runs.connect(runName)
        // Ctrl-C, SIGTERM and a lost terminal only end this viewer: the run is another process.
        let signals = RunSignals(onHangUp: {})
        var terminal = try NCursesTerminal(colorPreference: dashboard.colorPreference)
        TerminalRescue.install()
        let state = Dashboard.run(
            terminal: &terminal, options: dashboard.options,
            link: SessionLink(
                nextEvents: connection.events, send: { connection.send($0) },
                detached: { signals.interrupted || signals.hungUp }),
            attached: true)
        terminal.close()
        if state.run.result != nil || state.run.failure != nil {
            print("\(folder.name): \(state.run.failure.map { "failed: \($0)" } ?? "finished")")
        } else if let reason = connection.closedBecause {
            print("\(folder.name): the connection closed: \(reason)")
        } else {
            print("detached from \(folder.name); it goes on (convtop attach \(folder.name))")
        }
    }
}
