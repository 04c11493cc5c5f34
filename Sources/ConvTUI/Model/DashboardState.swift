import ConvProtocol
import Foundation

/// A line of feedback under the charts: what a key did, a warning, or why input was refused.
public struct Notice: Sendable, Equatable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// What the person is typing or confirming, on top of the current screen.
public enum InputMode: Sendable, Equatable {
    case normal
    /// The learning-rate prompt and the text typed so far.
    case learningRatePrompt(String)
    case confirmQuit
    /// The mark being made on the browsed image: its kind (tab cycles) and the note typed so far.
    case markPrompt(ImageMark)
}

/// A cell of the confusion matrix: true class (row) and predicted class (column).
public struct MatrixPosition: Sendable, Equatable {
    public var row: Int
    public var column: Int

    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }
}

/// Everything the dashboard shows: the run as its events told it, and the person's navigation.
/// Changed only by `apply(_:)` (events) and `reduce(_:)` (actions), both pure.
public struct DashboardState: Sendable, Equatable {
    public var run = RunModel()
    public var screen: Screen = .main
    public var input: InputMode = .normal
    public var notice: Notice?
    public var logScale = false
    public var browserFilter: BrowserFilter = .all
    /// Position in the filtered list of misclassified images.
    public var browserIndex = 0
    public var matrixCursor = MatrixPosition(row: 0, column: 0)
    /// The first row of the model table that the model screen shows.
    public var modelTableScroll = 0
    /// The first row of the help that the help screen shows.
    public var helpScroll = 0
    /// The largest scroll of the current screen (help or model table) that shows more at the
    /// terminal's size (the dashboard's loop sets it from the view's layout), so scrolling past the
    /// end does not count on unseen.
    public var lastScroll = Int.max
    /// The class the thumbnails' saliency overlay explains; nil shows no overlay.
    public var saliencyTarget: SaliencyTarget?
    /// Maps asked of the session and not yet dropped by a new evaluation, so none is asked twice.
    public private(set) var requestedSaliency: Set<SaliencyKey> = []
    /// A stop was sent; the dashboard leaves when the run reports that it ended.
    public private(set) var stopping = false
    /// The dashboard should close.
    public private(set) var shouldExit = false
    /// The dashboard watches a run in another process (`convtop attach`): it can leave the run going.
    public var attached = false
    /// The person detached; the run goes on without this dashboard.
    public private(set) var detached = false
    /// The dashboard shows a run read back from its journal (`convtop view`): keys that would steer
    /// the run are refused, and q, d and Ctrl-C leave at once.
    public var readOnly = false
    /// The run was training when the person started a range test: leaving the test resumes it.
    public private(set) var resumeAfterRangeTest = false
    /// This dashboard asked for a range test whose sweep has not started: the screen waits for it,
    /// and enter has no suggestion to apply (the previous test's is not this one's).
    public private(set) var rangeTestRequested = false

    /// Images a page key moves by in the browser.
    public static let pageSize = 10
    /// Longest text the learning-rate prompt takes.
    public static let promptLength = 24
    /// Longest note the mark prompt takes.
    public static let noteLength = 120

    public init() {}

    /// The misclassified images of the main evaluation that pass the browser's filter, highest loss first.
    public var browsedImages: [Prediction] {
        (run.evaluation?.misclassified ?? []).filter(browserFilter.includes)
    }

    /// The image the browser shows, if any.
    public var browsedImage: Prediction? {
        let images = browsedImages
        return images.indices.contains(browserIndex) ? images[browserIndex] : nil
    }

    // Shown from a key press until the session's answer arrives; the answer clears them, as the
    // status line then shows the new state.
    private static let evaluating = Notice("evaluating…")
    private static let pausing = Notice("pausing…")
    private static let resuming = Notice("resuming…")

    private var runIsLive: Bool { run.state == .running || run.state == .paused || run.state == .starting }

    // MARK: Events

    /// Folds one event from the session into the state.
    public mutating func apply(_ event: TrainingEvent) {
        run.apply(event)
        switch event {
        case .checkpointSaved(let path, _):
            notice = Notice("checkpoint saved: \(path)")
        case .learningRateChanged(let old, let new, _):
            notice = Notice("learning rate \(Format.learningRate(old)) → \(Format.learningRate(new))")
        case .warning(let text):
            notice = Notice(text, isError: true)
            rangeTestRequested = false
        case .initialized(let initialization):
            notice = Notice(initialization.description)
        case .paused(_, let reason?):
            notice = Notice("paused: \(reason)", isError: true)
        case .paused(_, nil):
            if notice == Self.pausing { notice = nil }
        case .resumed:
            if notice == Self.resuming { notice = nil }
            // Once the run trains again its range test is over, whoever chose the rate: a dashboard
            // still on the test's screen, or one attached since (replaying the history), goes back.
            if screen == .rangeTest && run.rangeTest?.finding != nil {
                screen = .main
                resumeAfterRangeTest = false
            }
        case .evaluation(let evaluation):
            if notice == Self.evaluating { notice = nil }
            requestedSaliency = requestedSaliency.filter { $0.split != evaluation.split }
            clampBrowser()
        case .finished(let result):
            let ending = run.earlyStopReason.map { "stopped early (\($0))" } ?? "finished"
            notice = Notice(ending + (result.checkpointPath.map { ": checkpoint \($0)" } ?? ""))
            finishInput()
        case .failed(let error):
            notice = Notice("failed: \(error)", isError: true)
            finishInput()
        case .earlyStopped(let reason, _):
            notice = Notice("stopping early: \(reason)")
        case .imageMarked(let mark):
            notice = Notice(
                "marked \(mark.split) image #\(mark.index) as \(mark.kind.rawValue) in marks.csv (x unmarks)")
        case .imageUnmarked(let split, let index):
            notice = Notice("unmarked \(split) image #\(index) (x marks it again)")
        case .learningRateSweepStarted(let sweep):
            screen = .rangeTest
            rangeTestRequested = false
            notice = Notice(
                "range test: sweeping the learning rate from \(Format.learningRate(sweep.startRate)) to "
                    + "\(Format.learningRate(sweep.endRate)) on a snapshot…")
        case .learningRateFound(let finding) where screen == .rangeTest:
            notice = Notice(
                finding.suggestion.map {
                    "suggested \(Format.learningRate($0)): enter applies it, L types another, esc keeps the rate"
                } ?? "the sweep was too short to suggest a rate: L types one, esc keeps the rate")
        case .undone(let rewind):
            notice = Notice(
                "undone: back to step \(rewind.step), before \(rewind.intervention) (\(rewind.remaining) more to undo)")
        default:
            break
        }
    }

    /// When the run has ended, a pending stop completes and a prompt that would act on it closes.
    private mutating func finishInput() {
        if stopping { shouldExit = true }
        if input != .normal { input = .normal }
    }

    // MARK: Keys

    /// The action a key asks for in the current state, or `nil` when it means nothing here.
    public func action(for key: Key) -> DashboardAction? {
        switch input {
        case .markPrompt:
            switch key {
            case .enter: return .submit
            case .escape: return .back
            case .backspace: return .erase
            case .character("\t"): return .cycleMarkKind
            case .character(let c): return .type(c)
            default: return nil
            }
        case .learningRatePrompt:
            switch key {
            case .enter: return .submit
            case .escape: return .back
            case .backspace: return .erase
            case .character(let c): return .type(c)
            default: return nil
            }
        case .confirmQuit:
            switch key {
            case .character("y"), .character("Y"), .enter: return .confirmQuit
            case .character("q"): return attached ? .detach : .confirmQuit
            case .character("d") where attached: return .detach
            default: return .back
            }
        case .normal:
            return KeyTable.action(for: key, on: screen)
        }
    }

    // MARK: Actions

    /// The state after `action`, and the commands to send to the session. Pure.
    public func reduced(by action: DashboardAction) -> (DashboardState, [TrainingCommand]) {
        var next = self
        let commands = next.reduce(action)
        return (next, commands)
    }

    /// Applies `action` and returns the commands to send to the session.
    public mutating func reduce(_ action: DashboardAction) -> [TrainingCommand] {
        if readOnly && action.steersRun {
            notice = Notice(
                "read from the run's journal: this dashboard cannot steer the run (convtop attach steers a running one)",
                isError: true)
            return []
        }
        if readOnly && [.quit, .detach, .interrupt].contains(action) {
            shouldExit = true
            return []
        }
        switch action {
        case .togglePause:
            switch run.state {
            case .running: notice = Self.pausing; return [.pause]
            case .paused: notice = Self.resuming; return [.resume]
            default: return refuseEndedRun()
            }
        case .scaleLearningRate(let factor):
            guard runIsLive else { return refuseEndedRun() }
            notice = Notice("learning rate ×\(Format.compact(factor)) requested")
            return [.scaleLearningRate(factor)]
        case .openLearningRatePrompt:
            guard runIsLive else { return refuseEndedRun() }
            input = .learningRatePrompt("")
            notice = nil
        case .type(let c):
            if case .learningRatePrompt(let text) = input, text.count < Self.promptLength {
                input = .learningRatePrompt(text + String(c))
            }
            if case .markPrompt(var mark) = input, mark.note.count < Self.noteLength {
                mark.note.append(c)
                input = .markPrompt(mark)
            }
        case .erase:
            if case .learningRatePrompt(let text) = input { input = .learningRatePrompt(String(text.dropLast())) }
            if case .markPrompt(var mark) = input {
                mark.note = String(mark.note.dropLast())
                input = .markPrompt(mark)
            }
        case .submit:
            if case .markPrompt(let mark) = input { return submitMark(mark) }
            guard case .learningRatePrompt(let text) = input else { return [] }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed), value.isFinite, value > 0 else {
                notice = Notice(
                    "not a learning rate: \"\(trimmed)\" (type a positive number such as 0.01)",
                    isError: true)
                return []
            }
            input = .normal
            notice = Notice("learning rate \(Format.learningRate(value)) requested")
            return [.setLearningRate(value)] + leaveRangeTest()
        case .save:
            guard runIsLive else { return refuseEndedRun() }
            notice = Notice("saving a checkpoint…")
            return [.save(path: nil)]
        case .evaluate:
            guard runIsLive else { return refuseEndedRun() }
            notice = Self.evaluating
            return [.evaluate]
        case .quit:
            if runIsLive && !stopping {
                input = .confirmQuit
            } else if !stopping {
                shouldExit = true
            }
        case .confirmQuit:
            input = .normal
            return stop()
        case .detach:
            guard attached else {
                notice = Notice(
                    "this dashboard runs the training: start it with --detach to leave it running", isError: true)
                return []
            }
            input = .normal
            detached = true
            shouldExit = true
        case .interrupt:
            guard runIsLive else { shouldExit = true; return [] }
            return stop()
        case .back:
            if input != .normal {
                input = .normal
                notice = nil
            } else if screen == .rangeTest {
                notice = Notice("range test cancelled: the run continues from where it was")
                return leaveRangeTest()
            } else {
                screen = .main
            }
        case .findLearningRate:
            guard run.state == .running || run.state == .paused else { return refuseEndedRun() }
            if run.rangeTest?.isRunning == true && screen == .rangeTest {
                notice = Notice("a range test is running", isError: true)
                return []
            }
            resumeAfterRangeTest = run.state == .running
            rangeTestRequested = true
            screen = .rangeTest
            notice = Notice("range test requested…")
            return [.findLearningRate(steps: nil)]
        case .applySuggestion:
            guard !rangeTestRequested, let suggestion = run.rangeTest?.finding?.suggestion else {
                notice = Notice("no suggestion yet: wait for the sweep, or type a rate with L", isError: true)
                return []
            }
            notice = Notice("learning rate \(Format.learningRate(suggestion)) requested")
            return [.setLearningRate(suggestion)] + leaveRangeTest()
        case .undo:
            guard runIsLive else { return refuseEndedRun() }
            notice = Notice("undo requested…")
            return [.undo]
        case .toggleHelp:
            screen = screen == .help ? .main : .help
            helpScroll = 0
        case .toggleLogScale:
            logScale.toggle()
        case .openMisclassified:
            screen = .misclassified
            browserFilter = .all
            browserIndex = 0
            if run.evaluation == nil { notice = Notice("no evaluation yet: press e to evaluate now") }
        case .openModelSummary:
            screen = .modelSummary
            modelTableScroll = 0
        case .openConfusion:
            screen = .confusion
            if run.evaluation == nil { notice = Notice("no evaluation yet: press e to evaluate now") }
        case .cycleSaliency:
            cycleSaliency()
        case .openLayerHealth:
            screen = .layerHealth
            if run.layerHealth.latestStep == nil {
                notice = Notice("no layer-health sample yet: the run takes one every few steps")
            }
        case .move(let rows, let columns):
            if screen == .misclassified {
                browserIndex += rows
                clampBrowser()
            } else if screen == .help {
                helpScroll = min(lastScroll, max(0, helpScroll + rows))
            } else if screen == .modelSummary {
                modelTableScroll = min(lastScroll, max(0, modelTableScroll + rows))
            } else if screen == .confusion {
                let n = max(1, run.evaluation?.confusion.classes ?? run.classNames.count)
                matrixCursor.row = min(n - 1, max(0, matrixCursor.row + rows))
                matrixCursor.column = min(n - 1, max(0, matrixCursor.column + columns))
            }
        case .page(let pages):
            browserIndex += pages * Self.pageSize
            clampBrowser()
        case .cycleFilter:
            cycleFilter()
        case .select:
            guard screen == .confusion else { return [] }
            let (t, p) = (matrixCursor.row, matrixCursor.column)
            guard t != p else {
                notice = Notice("correct predictions are not listed: pick a cell off the diagonal")
                return []
            }
            browserFilter = .cell(trueClass: t, predictedClass: p)
            browserIndex = 0
            screen = .misclassified
        case .markImage:
            return toggleMark()
        case .cycleMarkKind:
            if case .markPrompt(var mark) = input {
                mark.kind = mark.kind.next
                input = .markPrompt(mark)
            }
        case .nextConfusion:
            selectNextConfusion()
        }
        return []
    }

    /// Back to the main screen from the range test, resuming the run when the test paused it.
    private mutating func leaveRangeTest() -> [TrainingCommand] {
        guard screen == .rangeTest else { return [] }
        screen = .main
        rangeTestRequested = false
        defer { resumeAfterRangeTest = false }
        return resumeAfterRangeTest ? [.resume] : []
    }

    private mutating func stop() -> [TrainingCommand] {
        guard !stopping else { return [] }
        stopping = true
        notice = Notice("stopping: saving a checkpoint…")
        return [.stop]
    }

    private mutating func refuseEndedRun() -> [TrainingCommand] {
        notice = Notice(run.state == .starting ? "the run has not started yet" : "the run has ended", isError: true)
        return []
    }

    private mutating func cycleFilter() {
        guard let current = browsedImage else {
            browserFilter = .all
            return
        }
        switch browserFilter {
        case .all: browserFilter = .trueClass(current.trueLabel)
        case .trueClass: browserFilter = .predictedClass(current.predictedLabel)
        case .predictedClass, .cell: browserFilter = .all
        }
        browserIndex = browsedImages.firstIndex { $0.index == current.index } ?? 0
    }

    private mutating func clampBrowser() {
        browserIndex = max(0, min(browserIndex, browsedImages.count - 1))
    }
}

// MARK: Saliency overlay

extension DashboardState {
    /// The images whose maps the current screen shows: the sample grid's on the main screen, the
    /// browsed image and the next few (so that browsing on finds them ready) in the browser.
    public var saliencyImages: [Prediction] {
        switch screen {
        case .main: run.evaluation?.samples ?? []
        case .misclassified: Array(browsedImages.dropFirst(browserIndex).prefix(Self.saliencyLookahead + 1))
        default: []
        }
    }

    /// Images past the browsed one whose maps are asked for with it.
    public static let saliencyLookahead = 4

    /// The overlay map of `prediction` for the current target, when the session has sent it.
    public func saliencyOverlay(for prediction: Prediction) -> SaliencyOverlay? {
        guard let saliencyTarget, let split = run.evaluation?.split else { return nil }
        return run.saliency[SaliencyKey(split: split, index: prediction.index, target: saliencyTarget)]
    }

    /// The commands that ask for the maps the screen needs and has not asked for, at most
    /// `SaliencyRequest.maximumImages` a command; remembers them as asked. None while the overlay
    /// is off or the run has ended (nobody would answer).
    public mutating func saliencyRequests() -> [TrainingCommand] {
        guard let saliencyTarget, runIsLive, let split = run.evaluation?.split else { return [] }
        let missing = saliencyImages.map(\.index).filter {
            let key = SaliencyKey(split: split, index: $0, target: saliencyTarget)
            return run.saliency[key] == nil && requestedSaliency.insert(key).inserted
        }
        return stride(from: 0, to: missing.count, by: SaliencyRequest.maximumImages).map {
            .explain(
                SaliencyRequest(
                    split: split, indices: Array(missing[$0..<min(missing.count, $0 + SaliencyRequest.maximumImages)]),
                    target: saliencyTarget))
        }
    }

    mutating func cycleSaliency() {
        switch saliencyTarget {
        case nil: saliencyTarget = .predicted
        case .predicted: saliencyTarget = .trueClass
        case .trueClass: saliencyTarget = nil
        }
        if let saliencyTarget {
            let ended = !runIsLive && run.saliency.isEmpty
            notice = Notice(
                ended
                    ? "the run has ended: nobody is left to compute where the net looks"
                    : "showing where the net looks for the \(saliencyTarget) (g: next)", isError: ended)
        } else {
            notice = Notice("saliency overlay off")
        }
    }
}
