import ConvProtocol

// Marking images in the browser, and walking the most-confused list of the confusion screen.
extension DashboardState {
    /// `x` in the browser: opens the mark prompt for the shown image, or unmarks it. Marks are kept
    /// by the trainer (the only writer of the run folder), so both need a live run.
    mutating func toggleMark() -> [TrainingCommand] {
        guard screen == .misclassified, let image = browsedImage, let split = run.evaluation?.split else {
            notice = Notice("no image to mark: open the misclassified browser (m) after an evaluation", isError: true)
            return []
        }
        guard run.state == .running || run.state == .paused else {
            notice = Notice("marks are kept by the trainer, and the run has ended", isError: true)
            return []
        }
        if run.mark(split: split, index: image.index) != nil {
            notice = Notice("unmarking \(split) image #\(image.index)…")
            return [.unmarkImage(split: split, index: image.index)]
        }
        input = .markPrompt(
            ImageMark(
                split: split, index: image.index, kind: .mislabelled, trueLabel: image.trueLabel,
                predictedLabel: image.predictedLabel))
        notice = nil
        return []
    }

    mutating func submitMark(_ mark: ImageMark) -> [TrainingCommand] {
        input = .normal
        notice = Notice("marking \(mark.split) image #\(mark.index) as \(mark.kind.rawValue)…")
        return [.markImage(mark)]
    }

    /// The most-confused cells of the main evaluation, most images first.
    public var mostConfused: [ConfusionMatrix.Confusion] { run.evaluation?.confusion.mostConfused() ?? [] }

    /// Moves the matrix cursor to the entry of the most-confused list after the one under it: the
    /// first when it is on no entry or on the last; enter then browses it.
    mutating func selectNextConfusion() {
        guard screen == .confusion else { return }
        let list = mostConfused
        guard !list.isEmpty else {
            notice = Notice("no confusions to list" + (run.evaluation == nil ? " yet" : ": every image is right"))
            return
        }
        let current = list.firstIndex { $0.trueLabel == matrixCursor.row && $0.predictedLabel == matrixCursor.column }
        let next = current.map { ($0 + 1) % list.count } ?? 0
        matrixCursor = MatrixPosition(row: list[next].trueLabel, column: list[next].predictedLabel)
    }
}
