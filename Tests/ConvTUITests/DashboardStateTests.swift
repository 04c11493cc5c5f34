import ConvProtocol
import ConvTUI
import Testing

/// Key handling through the pure key → action mapping and reducer, with no terminal.
@Suite struct DashboardStateTests {
    /// Presses keys in order and returns the state and every command sent.
    private func press(_ keys: [Key], from start: DashboardState = SampleRun.state().state)
        -> (DashboardState, [TrainingCommand])
    {
        var state = start
        var commands: [TrainingCommand] = []
        for key in keys {
            guard let action = state.action(for: key) else { continue }
            let (next, sent) = state.reduced(by: action)
            state = next
            commands += sent
        }
        return (state, commands)
    }

    private func chars(_ text: String) -> [Key] { text.map { Key.character($0) } }

    private var paused: DashboardState {
        var s = SampleRun.state().state
        s.apply(.paused(step: 200, reason: nil))
        return s
    }

    @Test func spaceAndPPauseARunningRunAndResumeAPausedOne() {
        #expect(press([.character(" ")]).1 == [.pause])
        #expect(press([.character("p")]).1 == [.pause])
        #expect(press([.character(" ")], from: paused).1 == [.resume])
        #expect(press([.character("p")], from: paused).1 == [.resume])
    }

    @Test func plusAndMinusScaleTheLearningRate() {
        #expect(press([.character("+")]).1 == [.scaleLearningRate(2)])
        #expect(press([.character("-")]).1 == [.scaleLearningRate(0.5)])
        #expect(press([.character("+")]).0.notice?.text == "learning rate ×2 requested")
    }

    @Test func learningRatePromptAcceptsAPositiveNumber() {
        let (state, commands) = press([.character("L")] + chars("0.05") + [.enter])
        #expect(commands == [.setLearningRate(0.05)])
        #expect(state.input == .normal)
        let (scientific, sent) = press([.character("L")] + chars("3e-4") + [.enter])
        #expect(sent == [.setLearningRate(3e-4)] && scientific.input == .normal)
    }

    @Test func learningRatePromptRefusesInvalidInputAndChangesNothing() {
        for text in ["abc", "-1", "0", "", "nan", "1e999"] {
            let (state, commands) = press([.character("L")] + chars(text) + [.enter])
            #expect(commands.isEmpty, "\(text) was accepted")
            #expect(state.input == .learningRatePrompt(text))
            #expect(state.notice?.isError == true)
            #expect(state.notice?.text.hasPrefix("not a learning rate") == true)
        }
    }

    @Test func promptEditsAndCancels() {
        let (typed, _) = press([.character("L")] + chars("0.1q") + [.backspace])
        #expect(typed.input == .learningRatePrompt("0.1"))
        let (cancelled, commands) = press([.character("L")] + chars("0.1") + [.escape])
        #expect(cancelled.input == .normal && commands.isEmpty && cancelled.screen == .main)
    }

    @Test func saveShowsThePathWhenTheCheckpointArrives() {
        var (state, commands) = press([.character("s")])
        #expect(commands == [.save(path: nil)])
        #expect(state.notice?.text == "saving a checkpoint…")
        state.apply(.checkpointSaved(path: "runs/demo/step-200.ckpt", step: 200))
        #expect(state.notice?.text == "checkpoint saved: runs/demo/step-200.ckpt")
    }

    @Test func eEvaluatesNow() {
        #expect(press([.character("e")]).1 == [.evaluate])
    }

    @Test func pendingNoticesEndWhenTheSessionAnswers() {
        var evaluating = press([.character("e")]).0
        #expect(evaluating.notice?.text == "evaluating…")
        evaluating.apply(.evaluation(SampleRun.evaluation(epoch: 2, step: 210)))
        #expect(evaluating.notice == nil)

        var pausing = press([.character("p")]).0
        #expect(pausing.notice?.text == "pausing…")
        pausing.apply(.paused(step: 210, reason: nil))
        #expect(pausing.notice == nil)

        var resuming = press([.character("p")], from: paused).0
        #expect(resuming.notice?.text == "resuming…")
        resuming.apply(.resumed(step: 210))
        #expect(resuming.notice == nil)
    }

    @Test func quitAsksFirstThenStopsAndLeavesWhenTheRunEnds() {
        let (asking, none) = press([.character("q")])
        #expect(asking.input == .confirmQuit && none.isEmpty && !asking.shouldExit)
        let (declined, stillNone) = press([.character("q"), .character("n")])
        #expect(declined.input == .normal && stillNone.isEmpty)
        var (stopping, commands) = press([.character("q"), .character("y")])
        #expect(commands == [.stop])
        #expect(stopping.stopping && !stopping.shouldExit)
        #expect(press([.character("q")], from: stopping).1.isEmpty)
        stopping.apply(
            .finished(
                FinalResult(
                    step: 200, epoch: 2, seconds: 2, lastEvaluation: nil,
                    checkpointPath: "runs/demo/final.ckpt")))
        #expect(stopping.shouldExit)
    }

    @Test func quitAfterTheRunEndedLeavesAtOnce() {
        var state = SampleRun.state().state
        state.apply(.finished(FinalResult(step: 200, epoch: 2, seconds: 2, lastEvaluation: nil, checkpointPath: nil)))
        let (after, commands) = press([.character("q")], from: state)
        #expect(after.shouldExit && commands.isEmpty)
        #expect(press([.character("+")], from: state).1.isEmpty)
        #expect(press([.character("+")], from: state).0.notice == Notice("the run has ended", isError: true))
    }

    @Test func interruptStopsWithoutAsking() {
        var state = SampleRun.state().state
        #expect(state.reduce(.interrupt) == [.stop])
        #expect(state.reduce(.interrupt).isEmpty)
        state.apply(.failed("disk full"))
        #expect(state.shouldExit)
    }

    @Test func helpAndLogScaleToggle() {
        #expect(press([.character("?")]).0.screen == .help)
        #expect(press([.character("?"), .character("?")]).0.screen == .main)
        #expect(press([.character("?"), .escape]).0.screen == .main)
        #expect(press([.character("l")]).0.logScale)
        #expect(!press([.character("l"), .character("l")]).0.logScale)
    }

    @Test func misclassifiedBrowserMovesAndClamps() {
        let (opened, _) = press([.character("m")])
        #expect(opened.screen == .misclassified && opened.browserIndex == 0)
        #expect(opened.browsedImage?.index == 10)
        #expect(press([.character("m"), .character("j")]).0.browsedImage?.index == 11)
        #expect(press([.character("m"), .down, .down, .up]).0.browserIndex == 1)
        #expect(press([.character("m"), .character("k")]).0.browserIndex == 0)
        #expect(press([.character("m"), .pageDown]).0.browserIndex == 4)
        #expect(press([.character("m"), .pageDown, .pageUp]).0.browserIndex == 0)
        #expect(press([.character("m"), .escape]).0.screen == .main)
    }

    @Test func filterCyclesThroughTrueClassPredictedClassAndAll() {
        // Image 10 is a Shirt (6) taken for a T-shirt/top (0).
        let (byTrue, _) = press([.character("m"), .character("f")])
        #expect(byTrue.browserFilter == .trueClass(6))
        #expect(byTrue.browsedImages.map(\.index) == [10, 12, 13])
        let (byPredicted, _) = press([.character("m"), .character("f"), .character("f")])
        #expect(byPredicted.browserFilter == .predictedClass(0))
        #expect(byPredicted.browsedImages.map(\.index) == [10, 12])
        let (all, _) = press([.character("m"), .character("f"), .character("f"), .character("f")])
        #expect(all.browserFilter == .all && all.browsedImages.count == 5)
    }

    @Test func filterKeepsTheCurrentImageSelected() {
        let (state, _) = press([.character("m"), .character("j"), .character("j"), .character("f")])
        #expect(state.browsedImage?.index == 12)
        #expect(state.browserIndex == 1)
    }

    @Test func confusionCursorMovesAndEnterBrowsesThatCell() {
        let (moved, _) = press([.character("c"), .down, .down, .character("l"), .right, .left])
        #expect(moved.screen == .confusion)
        #expect(moved.matrixCursor == MatrixPosition(row: 2, column: 1))
        #expect(!moved.logScale)
        let (clamped, _) = press([.character("c"), .up, .character("h")] + Array(repeating: .down, count: 20))
        #expect(clamped.matrixCursor == MatrixPosition(row: 9, column: 0))
        let keys: [Key] = [.character("c")] + Array(repeating: .down, count: 6) + [.enter]
        let (browsing, _) = press(keys)
        #expect(browsing.screen == .misclassified)
        #expect(browsing.browserFilter == .cell(trueClass: 6, predictedClass: 0))
        #expect(browsing.browsedImages.map(\.index) == [10, 12])
        #expect(press(keys + [.escape]).0.screen == .main)
    }

    @Test func enterOnTheDiagonalExplainsInstead() {
        let (state, _) = press([.character("c"), .enter])
        #expect(state.screen == .confusion)
        #expect(state.notice?.text.hasPrefix("correct predictions are not listed") == true)
    }

    @Test func keysThatMeanNothingAreIgnored() {
        let start = SampleRun.state().state
        #expect(start.action(for: .character("Z")) == nil)
        #expect(start.action(for: .backspace) == nil)
        #expect(press([.character("Z"), .backspace]).0 == start)
    }
}

@Suite struct AttachedDashboardStateTests {
    private func runningState(attached: Bool) -> DashboardState {
        var state = DashboardState()
        state.attached = attached
        state.apply(.started(SampleRun.summary()))
        state.apply(.step(SampleRun.step(1, loss: 2)))
        return state
    }

    @Test func qAsksToStopOrDetachAndDDetachesWithoutACommand() {
        var state = runningState(attached: true)
        #expect(state.reduce(state.action(for: .character("q"))!) == [])
        #expect(state.input == .confirmQuit)
        let action = state.action(for: .character("d"))
        #expect(action == .detach)
        #expect(state.reduce(action!) == [])
        #expect(state.detached && state.shouldExit)
    }

    @Test func yInTheQuestionStopsTheRun() {
        var state = runningState(attached: true)
        _ = state.reduce(.quit)
        #expect(state.reduce(state.action(for: .character("y"))!) == [.stop])
        #expect(!state.detached && state.stopping)
    }

    @Test func dDetachesAtOnceButNotTheDashboardThatRunsTheTraining() {
        var attached = runningState(attached: true)
        #expect(attached.reduce(attached.action(for: .character("d"))!) == [])
        #expect(attached.detached)
        var local = runningState(attached: false)
        #expect(local.reduce(local.action(for: .character("d"))!) == [])
        #expect(!local.detached && !local.shouldExit && local.notice?.isError == true)
    }
}

@Suite struct ReadOnlyDashboardStateTests {
    private func journalState() -> DashboardState {
        var state = DashboardState()
        state.readOnly = true
        for event in SampleRun.events() { state.apply(event) }
        return state
    }

    @Test func keysThatSteerTheRunAreRefusedWithoutACommand() throws {
        for key in ["p", " ", "+", "-", "L", "s", "e"].map({ Key.character(Character($0)) }) {
            var state = journalState()
            let action = try #require(state.action(for: key))
            #expect(state.reduce(action) == [], "\(key) sent a command")
            #expect(state.notice?.isError == true && state.notice?.text.contains("cannot steer") == true)
            #expect(state.input == .normal && !state.shouldExit)
        }
    }

    @Test func qDAndCtrlCLeaveAtOnceAndBrowsingStillWorks() {
        for action in [DashboardAction.quit, .detach, .interrupt] {
            var state = journalState()
            #expect(state.reduce(action) == [])
            #expect(state.shouldExit && !state.stopping && state.input == .normal)
        }
        var state = journalState()
        _ = state.reduce(.openMisclassified)
        _ = state.reduce(.move(rows: 2, columns: 0))
        #expect(state.screen == .misclassified && state.browsedImage?.index == 12)
    }

    @Test func theFooterLeavesOutTheSteeringKeys() {
        let words = { (readOnly: Bool) -> [String] in
            Footer(screen: .main, theme: .monochrome, readOnly: readOnly).bindings.compactMap(\.footer)
        }
        #expect(words(false).contains("pause") && words(false).contains("eval"))
        #expect(
            words(true)
                == words(false).filter {
                    !["pause", "lr×2", "lr÷2", "set lr", "save", "eval", "lr find", "undo"].contains($0)
                })
        #expect(words(true).contains("errors") && words(true).contains("quit"))
    }
}
