/// Something the person asked the dashboard to do; keys map to actions through `KeyTable`.
public enum DashboardAction: Sendable, Equatable {
    case togglePause
    /// Multiply the learning rate by this factor.
    case scaleLearningRate(Double)
    case openLearningRatePrompt
    case save
    case evaluate
    /// Ask to quit (the dashboard asks for confirmation while the run is going).
    case quit
    case confirmQuit
    /// Leave a dashboard attached over the run's socket; the run goes on.
    case detach
    /// Ctrl-C or SIGTERM: stop the run (it saves a checkpoint) and leave without asking.
    case interrupt
    /// Esc: close a prompt or go back to the main screen.
    case back
    case toggleHelp
    case toggleLogScale
    case openMisclassified
    case openConfusion
    /// The model's layers, shapes, parameters and multiply-adds.
    case openModelSummary
    /// Overlay where the net looks on the thumbnails: for the predicted class, then the true
    /// class, then no overlay.
    case cycleSaliency
    case openLayerHealth
    /// Move the selection by rows and columns (the browser moves by rows only).
    case move(rows: Int, columns: Int)
    /// Move the browser by pages.
    case page(Int)
    /// Browser: filter by this image's true class, then its predicted class, then no filter.
    case cycleFilter
    /// Enter on a screen: in the confusion matrix, browse the images of the selected cell.
    case select
    /// Typed into the learning-rate prompt.
    case type(Character)
    case erase
    case submit
    /// Run a learning-rate range test from the run's current state.
    case findLearningRate
    /// Range-test screen: set the suggested learning rate.
    case applySuggestion
    /// Go back to the state before the last intervention.
    case undo
    /// Browser: mark the shown image (opening the mark prompt), or unmark it when it is marked.
    case markImage
    /// Mark prompt: the next kind of mark.
    case cycleMarkKind
    /// Confusion screen: move the cursor to the next cell of the most-confused list, round to the first.
    case nextConfusion
}

extension DashboardAction {
    /// Whether the action changes the run itself (and so needs a live run to act on).
    public var steersRun: Bool {
        switch self {
        case .togglePause, .scaleLearningRate, .openLearningRatePrompt, .save, .evaluate, .findLearningRate,
            .applySuggestion, .undo:
            true
        default: false
        }
    }
}
