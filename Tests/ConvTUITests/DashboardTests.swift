import ConvProtocol
import ConvTUI
import Testing

/// The run loop against an in-memory terminal and a scripted session.
@Suite struct DashboardTests {
    @Test func keysBecomeCommandsAndQuitWaitsForTheRunToEnd() {
        let session = ScriptedSession(events: SampleRun.events())
        var terminal = MemoryTerminal(width: 80, height: 24)
        terminal.pendingKeys = [.character("p"), .character("+"), .character("q"), .character("y")]
        let final = Dashboard.run(terminal: &terminal, options: .init(framesPerSecond: 1000), link: session.link)
        #expect(session.received == [.pause, .scaleLearningRate(2), .stop])
        #expect(final.shouldExit)
        #expect(final.run.state == .finished)
        #expect(final.run.lastCheckpoint == "runs/demo/final.ckpt")
        #expect(terminal.frames >= 1)
    }

    @Test func anInterruptStopsTheRunWithoutAsking() {
        let session = ScriptedSession(events: SampleRun.events())
        var terminal = MemoryTerminal(width: 80, height: 24)
        var link = session.link
        link.interrupted = { true }
        let final = Dashboard.run(terminal: &terminal, options: .init(framesPerSecond: 1000), link: link)
        #expect(session.received == [.stop])
        #expect(final.run.state == .finished)
    }

    /// Scrolling the help past its end stops at the last screenful, so the first key back moves it.
    @Test func helpScrollingStopsAtTheEndForTheTerminalsSize() {
        let session = ScriptedSession(events: SampleRun.events())
        var terminal = MemoryTerminal(width: 80, height: 24)
        terminal.pendingKeys =
            [.character("?")] + Array(repeating: .character("j"), count: 60) + [
                .character("k"), .character("q"), .character("y"),
            ]
        let final = Dashboard.run(terminal: &terminal, options: .init(framesPerSecond: 1000), link: session.link)
        var help = DashboardState()
        _ = help.reduce(.toggleHelp)
        let last = DashboardView.lastScroll(of: help, width: 80, height: 24)
        #expect(last > 0 && last < 59)
        #expect(final.helpScroll == last - 1)
    }

    @Test func aFrameSendsOnlyTheCellsThatChanged() {
        var state = SampleRun.state().state
        var terminal = MemoryTerminal(width: 80, height: 24)
        Dashboard.draw(state, options: .init(), on: &terminal)
        #expect(terminal.lastChangedCells == terminal.screen.cells.filter { $0 != .blank }.count)
        Dashboard.draw(state, options: .init(), on: &terminal)
        #expect(terminal.lastChangedCells == 0)
        state.apply(.paused(step: 200, reason: nil))
        Dashboard.draw(state, options: .init(), on: &terminal)
        #expect(terminal.lines[0].hasPrefix(" PAUSED "))
        #expect(terminal.lastChangedCells > 0 && terminal.lastChangedCells < 80)
    }
}
