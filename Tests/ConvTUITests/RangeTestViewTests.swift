import ConvProtocol
import ConvTUI
import Testing

/// The range-test screen (key r) and the abandoned branch an undo (key u) leaves on the loss chart.
@Suite struct RangeTestViewTests {
    private func draw(_ state: DashboardState, width: Int = 100, height: Int = 30) -> MemoryTerminal {
        var terminal = MemoryTerminal(width: width, height: height)
        Dashboard.draw(state, options: .init(), on: &terminal)
        return terminal
    }

    /// The sample run, running at step 200, with `r` pressed and the session's whole test applied.
    private func testedState() -> (DashboardState, [TrainingCommand]) {
        var state = SampleRun.state().state
        let commands = state.reduce(state.action(for: .character("r"))!)
        state.apply(.paused(step: 200, reason: "learning-rate range test"))
        for event in ScriptedSession.rangeTest(at: 200, steps: 40) { state.apply(event) }
        return (state, commands)
    }

    @Test func theScreenPlotsTheLossByLearningRateOnALogAxisWithTheSuggestion() throws {
        let (state, commands) = testedState()
        #expect(commands == [.findLearningRate(steps: nil)])
        #expect(state.screen == .rangeTest && state.resumeAfterRangeTest)
        let lines = draw(state).lines
        // The screen keeps a column of margin on each side.
        #expect(
            lines[2].dropFirst().hasPrefix(
                "LR range test, step 200 (30 batches, diverged)  ━ loss  ▼ suggested  ◆ steepest  ● now"),
            "\(lines[2])")
        let axis = try #require(lines.firstIndex { $0.contains("└") })
        // Decades as powers of ten under the axis, from the first rate to the last.
        let labels = lines[axis + 1].split(separator: " ").map(String.init)
        #expect(labels == ["lr", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"], "\(lines[axis + 1])")
        // The suggestion (1e-2) sits under the 1e-2 tick; the run's rate (0.005) just left of it.
        // A tick's column is the middle of its four-character label.
        let tick = { (label: String) in
            lines[axis + 1].range(of: " " + label + " ")!.lowerBound.utf16Offset(in: lines[axis + 1]) + 2
        }
        let axisLine = Array(lines[axis])
        #expect(axisLine[tick("1e-2")] == "▼", "\(lines[axis])")
        let now = try #require(axisLine.firstIndex(of: "●"))
        #expect(now < tick("1e-2") && now > tick("1e-3"))
        // The descent: braille dots fall from the left of the plot to its lowest row near 1e-1.
        let plot = lines[3..<axis]
        #expect(plot.prefix(3).contains { $0.contains { $0.unicodeScalars.first!.value > 0x2800 } })
        #expect(lines[27].dropFirst().hasPrefix("suggested 0.01 (fastai valley) · steepest descent 0.003 · now 0.005"))
        #expect(lines[28].hasPrefix("suggested 0.01: enter applies it, L types another, esc keeps the rate"))
        #expect(lines[29].hasPrefix("enter apply  L type lr  esc cancel  ? h help  q quit"))
    }

    @Test func whileTheSweepRunsTheScreenCountsItsBatches() {
        var state = SampleRun.state().state
        _ = state.reduce(.findLearningRate)
        for event in ScriptedSession.rangeTest(at: 200, steps: 40).prefix(11) { state.apply(event) }
        let lines = draw(state).lines
        #expect(lines[2].dropFirst().hasPrefix("LR range test, step 200 (10/40)"))
        #expect(lines[27].dropFirst().hasPrefix("sweeping on a snapshot of the run: lr "))
        var waiting = state
        #expect(waiting.reduce(.applySuggestion).isEmpty)
        #expect(waiting.notice?.isError == true && waiting.screen == .rangeTest)
    }

    @Test func applyingTypingOrCancellingLeavesTheTestAndResumesARunItPaused() {
        var applied = testedState().0
        #expect(applied.reduce(applied.action(for: .enter)!) == [.setLearningRate(0.01), .resume])
        #expect(applied.screen == .main && !applied.resumeAfterRangeTest)

        var typed = testedState().0
        _ = typed.reduce(typed.action(for: .character("L"))!)
        for c in "0.02" { _ = typed.reduce(typed.action(for: .character(c))!) }
        #expect(typed.screen == .rangeTest)
        #expect(typed.reduce(typed.action(for: .enter)!) == [.setLearningRate(0.02), .resume])
        #expect(typed.screen == .main)

        var cancelled = testedState().0
        #expect(cancelled.reduce(cancelled.action(for: .escape)!) == [.resume])
        #expect(cancelled.screen == .main)

        // A run paused before the test stays paused.
        var paused = SampleRun.state().state
        paused.apply(.paused(step: 200, reason: nil))
        _ = paused.reduce(.findLearningRate)
        for event in ScriptedSession.rangeTest(at: 200, steps: 40) { paused.apply(event) }
        #expect(paused.reduce(.back) == [])
        #expect(paused.reduce(.applySuggestion) == [.setLearningRate(0.01)])
    }

    /// Between `r` and the new sweep's start the screen waits, and enter does not apply the
    /// previous test's suggestion.
    @Test func aNewTestWaitsForItsSweepAndTheOldSuggestionIsNotApplied() {
        var state = testedState().0
        _ = state.reduce(state.action(for: .escape)!)
        state.apply(.resumed(step: 200))
        #expect(state.reduce(state.action(for: .character("r"))!) == [.findLearningRate(steps: nil)])
        #expect(draw(state).lines[2].dropFirst().hasPrefix("Learning-rate range test: starting…"))
        #expect(state.reduce(state.action(for: .enter)!).isEmpty)
        #expect(state.notice?.isError == true && state.screen == .rangeTest)
        state.apply(.paused(step: 260, reason: "learning-rate range test"))
        for event in ScriptedSession.rangeTest(at: 260, steps: 40) { state.apply(event) }
        #expect(draw(state).lines[2].dropFirst().hasPrefix("LR range test, step 260"))
        #expect(state.reduce(state.action(for: .enter)!) == [.setLearningRate(0.01), .resume])
        // A refused test (a warning instead of a sweep) leaves nothing waiting.
        _ = state.reduce(state.action(for: .character("r"))!)
        state.apply(.warning("a range test is already running"))
        #expect(!state.rangeTestRequested)
    }

    @Test func aDashboardThatWatchedOrReplaysAFinishedTestIsBackOnTheMainScreenOnceTheRunResumes() {
        // Another dashboard, attached while the test ran: the sweep turned it to the test's screen.
        var watching = SampleRun.state().state
        watching.apply(.paused(step: 200, reason: "learning-rate range test"))
        for event in ScriptedSession.rangeTest(at: 200, steps: 40) { watching.apply(event) }
        #expect(watching.screen == .rangeTest)
        watching.apply(.learningRateChanged(old: 0.005, new: 0.01, step: 200))
        #expect(watching.screen == .rangeTest)
        watching.apply(.resumed(step: 200))
        #expect(watching.screen == .main)

        // A resume while the sweep still runs (none comes from the trainer, but a journal may be cut) keeps it.
        var sweeping = SampleRun.state().state
        for event in ScriptedSession.rangeTest(at: 200, steps: 40).prefix(5) { sweeping.apply(event) }
        sweeping.apply(.resumed(step: 200))
        #expect(sweeping.screen == .rangeTest)
    }

    @Test func anUndoLeavesTheAbandonedBranchDimmedBesideTheNewOne() throws {
        var state = SampleRun.state().state
        #expect(state.reduce(state.action(for: .character("u"))!) == [.undo])
        let rewind = Rewind(
            step: 120, fromStep: 200, intervention: "learning rate 0.01 → 0.005", learningRate: 0.01, remaining: 0)
        state.apply(.undone(rewind))
        #expect(state.notice?.text == "undone: back to step 120, before learning rate 0.01 → 0.005 (0 more to undo)")
        let branch = try #require(state.run.abandonedBranches.first)
        #expect(branch.rewind == rewind)
        #expect(branch.trainLoss.first!.x <= 120 && branch.trainLoss.last!.x == 200)
        #expect(state.run.trainLoss.points.allSatisfy { $0.x <= 120 })
        #expect(branch.evaluationLoss[.test]?.map(\.x) == [200])
        #expect(state.run.evaluationLoss[.test]?.points.map(\.x) == [100])
        // The new branch: a loss that stays higher than the abandoned one.
        for s in 121...200 { state.apply(.step(SampleRun.step(s, loss: 1.5, lr: 0.01))) }

        let terminal = draw(state)
        let lines = terminal.lines
        #expect(lines[2].hasPrefix("Loss  ━ undone  ━ train (smoothed)  ━ test  ▲ lr  ↶ undo"), "\(lines[2])")
        let dim = Theme.forDepth(.palette256)[.dim], train = Theme.forDepth(.palette256)[.trainLoss]
        var dimmed = 0, live = 0
        for y in 3..<14 {
            for x in 0..<60 where terminal.screen[x, y].symbol.unicodeScalars.first!.value > 0x2800 {
                if terminal.screen[x, y].style == dim { dimmed += 1 }
                if terminal.screen[x, y].style == train { live += 1 }
            }
        }
        #expect(dimmed > 10 && live > 10, "dimmed \(dimmed), live \(live)")
    }
}
