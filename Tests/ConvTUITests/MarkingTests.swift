import ConvProtocol
import ConvTUI
import Testing

/// Marking in the misclassified browser, the most-confused list and the best epoch, through keys,
/// the reducer, a scripted session's answers and whole screens as text.
@Suite struct MarkingTests {
    /// Presses keys against a scripted session, applying its answers as the dashboard would.
    private func press(_ keys: [Key], _ state: inout DashboardState, _ session: ScriptedSession) {
        for key in keys {
            guard let action = state.action(for: key) else { continue }
            for command in state.reduce(action) { session.link.send(command) }
            for event in session.link.nextEvents() { state.apply(event) }
        }
    }

    private func chars(_ text: String) -> [Key] { text.map { Key.character($0) } }

    private func draw(_ state: DashboardState, width: Int = 80, height: Int = 24) -> [String] {
        var terminal = MemoryTerminal(width: width, height: height, capabilities: .init(colorDepth: .palette256))
        Dashboard.draw(state, options: .init(), on: &terminal)
        return terminal.lines
    }

    @Test func xOpensThePromptTabCyclesTheKindAndEnterMarksTheShownImage() {
        var state = SampleRun.state().state
        let session = ScriptedSession(events: [])
        press([.character("m"), .down, .character("x")], &state, session)
        #expect(
            state.input
                == .markPrompt(ImageMark(split: .test, index: 11, kind: .mislabelled, trueLabel: 4, predictedLabel: 5)))
        #expect(draw(state)[22].hasPrefix("Mark test image #11 as [mislabelled] note: █  (tab: kind, enter marks, esc"))
        press([.character("\t")] + chars("x, \"q\"") + [.backspace, .enter], &state, session)
        let sent = ImageMark(split: .test, index: 11, kind: .drop, trueLabel: 4, predictedLabel: 5, note: "x, \"q")
        #expect(session.received == [.markImage(sent)])
        #expect(state.input == .normal)
        var recorded = sent
        recorded.file = "test/11.png"
        #expect(state.run.marks == [recorded])
        #expect(state.notice?.text == "marked test image #11 as drop in marks.csv (x unmarks)")
        let lines = draw(state)
        #expect(lines.contains { $0.contains("marked:    drop · x, \"q") })
        #expect(lines[23].contains("x mark"), "\(lines[23])")

        // x again unmarks at once; typed letters in the prompt never act as keys.
        press([.character("x")], &state, session)
        #expect(session.received.last == .unmarkImage(split: .test, index: 11))
        #expect(state.run.marks.isEmpty && state.input == .normal)
        #expect(!draw(state).contains { $0.contains("marked:") })
    }

    @Test func escapeCancelsAMarkAndAnEndedRunRefusesOne() {
        var state = SampleRun.state().state
        let session = ScriptedSession(events: [])
        press([.character("m"), .character("x")] + chars("pq") + [.escape], &state, session)
        #expect(session.received.isEmpty && state.input == .normal && state.run.state == .running)
        state.apply(.finished(FinalResult(step: 200, epoch: 2, seconds: 9, lastEvaluation: nil, checkpointPath: nil)))
        press([.character("x")], &state, session)
        #expect(session.received.isEmpty && state.input == .normal)
        #expect(state.notice == Notice("marks are kept by the trainer, and the run has ended", isError: true))
    }

    @Test func aNoteWithALineBreakIsShownOnOneLine() {
        var state = SampleRun.state().state
        _ = state.reduce(.openMisclassified)
        state.apply(
            .imageMarked(
                ImageMark(
                    split: .test, index: 10, kind: .mislabelled, trueLabel: 6, predictedLabel: 0, note: "two\nlines")))
        #expect(draw(state).contains { $0.contains("marked:    mislabelled · two lines") })
    }

    /// The sample matrix: every class t but Shirt sends 10 images to t + 1, Shirt sends 30 to T-shirt/top.
    @Test func theMostConfusedListSitsUnderTheMatrixAt80ColumnsAndNWalksIt() {
        var state = SampleRun.state().state
        _ = state.reduce(.openConfusion)
        var lines = draw(state)
        #expect(lines[18].hasPrefix(" Most confused (n next, enter browses)"), "\(lines[18])")
        #expect(lines[19].hasPrefix(" Shirt            → T-shirt/top      30"), "\(lines[19])")
        #expect(lines[20].hasPrefix(" T-shirt/top      → Trouser          10"), "\(lines[20])")
        #expect(lines[21].hasPrefix(" Trouser          → Pullover         10"), "\(lines[21])")
        #expect(state.mostConfused.map(\.count) == [30] + Array(repeating: 10, count: 9))
        let session = ScriptedSession(events: [])
        press([.character("n")], &state, session)
        #expect(state.matrixCursor == MatrixPosition(row: 6, column: 0))
        press([.character("n"), .character("n")], &state, session)
        #expect(state.matrixCursor == MatrixPosition(row: 1, column: 2))
        lines = draw(state)
        #expect(lines[17].hasPrefix(" true Trouser, predicted Pullover: 10 images (enter to browse)"))
        // Enter opens the entry's images in the browser, through the matrix's drill-down filter.
        press([.enter], &state, session)
        #expect(state.screen == .misclassified && state.browserFilter == .cell(trueClass: 1, predictedClass: 2))
        // Round from the last entry to the first.
        _ = state.reduce(.openConfusion)
        state.matrixCursor = MatrixPosition(row: 9, column: 0)
        press([.character("n")], &state, session)
        #expect(state.matrixCursor == MatrixPosition(row: 6, column: 0))
    }

    @Test func theListGoesBesideTheMatrixWhenThereIsRoom() {
        var state = SampleRun.state().state
        _ = state.reduce(.openConfusion)
        let lines = draw(state, width: 120, height: 30)
        #expect(lines[4].hasPrefix(" true ↓  predicted →"), "\(lines[4])")
        #expect(lines[4].hasSuffix("Most confused (n next, enter browses)    "), "\(lines[4])")
        #expect(lines[5].hasSuffix("Ankle       Shirt            → T-shirt/top      30   "), "\(lines[5])")
    }

    @Test func theAccuracyChartNamesTheBestEpochAndTheEarlyStopIsTheEnding() {
        var state = SampleRun.state().state
        state.apply(.bestImproved(BestEvaluation(figure: .testLoss, value: 0.3125, epoch: 1, step: 100)))
        #expect(state.run.best?.epoch == 1)
        let lines = draw(state, width: 120, height: 30)
        #expect(lines[2].contains("Accuracy · best epoch 1  ━ train  ━ test  ★ best"), "\(lines[2])")
        state.apply(.earlyStopped(reason: "test_loss has not improved for 3 epochs (--patience 3)", step: 200))
        #expect(state.notice?.text == "stopping early: test_loss has not improved for 3 epochs (--patience 3)")
        state.apply(
            .finished(FinalResult(step: 200, epoch: 2, seconds: 9, lastEvaluation: nil, checkpointPath: "c.st")))
        #expect(
            state.notice?.text
                == "stopped early (test_loss has not improved for 3 epochs (--patience 3)): checkpoint c.st")
    }
}
