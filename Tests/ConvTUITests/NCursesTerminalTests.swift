import ConvProtocol
import ConvTUI
import Foundation
import Testing
import TmuxHarness

/// The dashboard on the real ncurses terminal: this test binary runs itself inside tmux (with
/// `CONVTOP_LIVE_DASHBOARD` set, which enables only `liveDashboard`) and drives it with keys.
@Suite struct NCursesTerminalTests {
    static let liveVariable = "CONVTOP_LIVE_DASHBOARD"
    static var isLive: Bool { ProcessInfo.processInfo.environment[liveVariable] != nil }

    /// The dashboard over a scripted session, in the terminal this process was started in.
    @Test(.enabled(if: isLive)) func liveDashboard() throws {
        let session = ScriptedSession(events: SampleRun.events())
        var terminal = try NCursesTerminal()
        let final = Dashboard.run(terminal: &terminal, link: session.link)
        terminal.close()
        NCursesTerminal.restore()
        #expect(final.run.state == .finished)
    }

    private func startLive(environment: [String: String] = [:], width: Int = 100, height: Int = 30) throws
        -> TmuxSession
    {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).path
        return try TmuxSession(
            [binary, "--testing-library", "swift-testing", "--filter", "liveDashboard"],
            width: width, height: height,
            environment: environment.merging([
                Self.liveVariable: "1", "TERM": "tmux-256color",
                "LANG": "C.UTF-8",
            ]) { a, _ in a },
            directory: FileManager.default.currentDirectoryPath)
    }

    @Test(.enabled(if: TmuxSession.isAvailable && !isLive, "needs tmux"))
    func keysResizeAndQuitInARealTerminal() throws {
        let tmux = try startLive()
        // curses sends a frame top to bottom: once the footer shows, the whole first frame is there.
        var screen = try tmux.wait(for: "the footer") { $0.last?.hasPrefix("space p pause") == true }
        #expect(screen[0].hasPrefix(" RUNNING   demo  fashion-mnist  lenet"))
        #expect(screen.contains { $0.hasPrefix("Loss") && $0.contains("Accuracy") })
        #expect(screen.contains { $0.hasPrefix("Per-class accuracy (test, 88.0%)") })
        try tmux.send("p")
        try tmux.wait(for: " PAUSED ")
        try tmux.send("+")
        try tmux.wait(for: "learning rate 0.005 → 0.01")
        try tmux.send("m")
        try tmux.wait(for: "Misclassified test images 1/5")
        try tmux.wait(for: "true:      Shirt")
        try tmux.send("c")
        try tmux.wait(for: "Confusion matrix (test, epoch 2, step 200)")
        try tmux.resize(width: 60, height: 20)
        try tmux.wait(for: "Terminal too small: 60x20")
        try tmux.resize(width: 120, height: 40)
        screen = try tmux.wait(for: "the confusion matrix at 120x40") {
            $0.count == 40 && $0.last?.hasPrefix("arrows hjkl move  enter browse") == true
        }
        #expect(screen[2].hasPrefix(" Confusion matrix"))
        try tmux.send("Escape")
        try tmux.wait(for: "Sample predictions")
        try tmux.send("q")
        try tmux.wait(for: "Stop training and quit?")
        try tmux.send("y")
        #expect(try tmux.waitForExit() == 0)
        // endwin gave the normal screen back: the test runner's own report is visible.
        try tmux.wait(for: "liveDashboard()")
    }

    @Test(.enabled(if: TmuxSession.isAvailable && !isLive, "needs tmux"))
    func noColorEnvironmentDrawsAsciiThumbnails() throws {
        let tmux = try startLive(environment: ["NO_COLOR": "1"], width: 80, height: 24)
        let screen = try tmux.wait(for: "the footer") { $0.last?.hasPrefix("space p pause") == true }
        #expect(screen[0].hasPrefix(" RUNNING "))
        #expect(screen[12].hasSuffix("    @@@@     @@@@     @@@@     @@@@"))
        try tmux.send("q", "y")
        #expect(try tmux.waitForExit() == 0)
    }
}
