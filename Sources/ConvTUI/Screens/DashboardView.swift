import ConvProtocol

/// The whole screen for a state: status, the current screen's body, the notice or prompt line and
/// the footer; or, below the minimum size, a centred request for a larger terminal.
public struct DashboardView: Widget {
    public var state: DashboardState
    public var options: DashboardOptions
    public var capabilities: TerminalCapabilities

    public init(state: DashboardState, options: DashboardOptions, capabilities: TerminalCapabilities) {
        self.state = state
        self.options = options
        self.capabilities = capabilities
    }

    private var theme: Theme { .forDepth(capabilities.colorDepth) }
    private var mode: ThumbnailMode { options.thumbnailMode(for: capabilities) }

    /// The status lines, the current screen's body, the notice line and the footer.
    private static func parts(of area: Rect) -> [Rect] {
        area.split(.vertical, [.length(2), .fill(1), .length(1), .length(1)])
    }

    /// The largest useful scroll of `state`'s screen on a terminal of `width` x `height`; `Int.max`
    /// on a screen that does not scroll.
    public static func lastScroll(of state: DashboardState, width: Int, height: Int) -> Int {
        let body = parts(of: Rect(x: 0, y: 0, width: width, height: height))[1].inset(horizontal: 1)
        switch state.screen {
        case .help: return HelpScreen.lastScroll(in: body)
        case .modelSummary: return ModelSummaryView.lastScroll(run: state.run, in: body)
        default: return Int.max
        }
    }

    public func render(area: Rect, buffer: inout Buffer) {
        if TooSmallMessage.drawIfTooSmall(area, options: options, theme: theme, buffer: &buffer) { return }
        let parts = Self.parts(of: area)
        StatusLine(run: state.run, stopping: state.stopping, theme: theme).render(area: parts[0], buffer: &buffer)
        let body = parts[1]
        switch state.screen {
        case .main: renderMain(body, buffer: &buffer)
        case .help:
            HelpScreen(theme: theme, scroll: state.helpScroll).render(area: body.inset(horizontal: 1), buffer: &buffer)
        case .misclassified:
            MisclassifiedView(
                images: state.browsedImages, index: state.browserIndex, filter: state.browserFilter,
                classNames: state.run.classNames, split: state.run.evaluation?.split, mode: mode, theme: theme,
                mark: state.browsedImage.flatMap { image in
                    state.run.evaluation.flatMap { state.run.mark(split: $0.split, index: image.index) }
                },
                saliencyTarget: state.saliencyTarget, overlay: state.browsedImage.flatMap(state.saliencyOverlay)
            )
            .render(area: body.inset(horizontal: 1), buffer: &buffer)
        case .confusion: renderConfusion(body.inset(horizontal: 1), buffer: &buffer)
        case .modelSummary:
            ModelSummaryView(run: state.run, scroll: state.modelTableScroll, theme: theme)
                .render(area: body.inset(horizontal: 1), buffer: &buffer)
        case .rangeTest:
            RangeTestView(
                test: state.rangeTestRequested ? nil : state.run.rangeTest, learningRate: state.run.learningRate,
                theme: theme
            ).render(area: body.inset(horizontal: 1), buffer: &buffer)
        case .layerHealth:
            LayerHealthView(history: state.run.layerHealth, theme: theme)
                .render(area: body.inset(horizontal: 1), buffer: &buffer)
        }
        renderNoticeLine(parts[2], buffer: &buffer)
        Footer(screen: state.screen, theme: theme, readOnly: state.readOnly).render(area: parts[3], buffer: &buffer)
    }

    private func renderMain(_ area: Rect, buffer: inout Buffer) {
        let run = state.run
        // The class bars need a row per class and a title; half the height beyond that leaves the
        // thumbnails room for two rows at 100x30. The charts take the rest and grow with the screen.
        let bottom = max(run.classNames.count + 1, area.height / 2)
        let rows = area.split(.vertical, [.fill(1), .length(bottom)])
        let charts = rows[0].split(.horizontal, [.percentage(60), .fill(1)], spacing: 2)
        // Abandoned branches first, so that the run's own lines draw over them where they cross.
        let abandoned = run.abandonedBranches.flatMap { branch in
            ([branch.trainLoss] + Split.allCases.compactMap { branch.evaluationLoss[$0] }).map {
                LineChart.Dataset(name: "undone", points: $0, style: theme[.dim])
            }
        }
        let loss =
            abandoned
            + [LineChart.Dataset(name: "train (smoothed)", points: run.trainLoss.points, style: theme[.trainLoss])]
            + evaluationDatasets(run.evaluationLoss)
        let markers = run.markers.map { m in
            switch m.kind {
            case .learningRate:
                LineChart.Marker(x: Double(m.step), symbol: "▲", name: "lr", style: theme[.learningRateMarker])
            case .pause: LineChart.Marker(x: Double(m.step), symbol: "‖", name: "pause", style: theme[.pauseMarker])
            case .undo:
                LineChart.Marker(x: Double(m.step), symbol: "↶", name: "undo", style: theme[.learningRateMarker])
            }
        }
        LineChart(
            title: "Loss", datasets: loss, markers: markers, logScale: state.logScale, xUnit: "step",
            xWholeNumbers: true, theme: theme
        )
        .render(area: charts[0], buffer: &buffer)
        let accuracy =
            [LineChart.Dataset(name: "train", points: run.trainAccuracy.points, style: theme[.trainAccuracy])]
            + evaluationDatasets(run.evaluationAccuracy)
        LineChart(
            title: accuracyTitle, datasets: accuracy, markers: bestMarkers, yLabel: { Format.percent($0) },
            xUnit: "epoch", theme: theme
        )
        .render(area: charts[1], buffer: &buffer)

        // The bars read well at 40 columns; every column beyond goes mostly to the thumbnails.
        let barsWidth = min(56, max(40, rows[1].width * 2 / 5))
        let panels = rows[1].split(.horizontal, [.length(barsWidth), .fill(1)], spacing: 2)
        let evaluation = run.evaluation
        let title =
            evaluation.map { "Per-class accuracy (\($0.split), \(Format.percent(Double($0.accuracy))))" }
            ?? "Per-class accuracy (after the first evaluation)"
        buffer.setString(x: panels[0].x, y: panels[0].y, title, style: theme[.title], maxWidth: panels[0].width)
        let barsArea = Rect(x: panels[0].x, y: panels[0].y + 1, width: panels[0].width, height: panels[0].height - 1)
        if let evaluation {
            ClassAccuracyBars(
                names: run.classNames, accuracy: evaluation.perClassAccuracy,
                previous: run.previousClassAccuracy, theme: theme
            ).render(area: barsArea, buffer: &buffer)
            let overlays = evaluation.samples.compactMap { sample in
                state.saliencyOverlay(for: sample).map { (sample.index, $0) }
            }
            let overlayNote = state.saliencyTarget.map { target in
                overlays.first.map { ", \($0.1.method) for the \(target)" } ?? ", asking where it looks…"
            }
            buffer.setString(
                x: panels[1].x, y: panels[1].y, "Sample predictions (epoch \(evaluation.epoch)\(overlayNote ?? ""))",
                style: theme[.title], maxWidth: panels[1].width)
            PredictionGrid(
                samples: evaluation.samples, classNames: run.classNames, mode: mode, theme: theme,
                heatMaps: Dictionary(overlays.map { ($0.0, $0.1.map) }) { a, _ in a }
            )
            .render(
                area: Rect(
                    x: panels[1].x, y: panels[1].y + 1, width: panels[1].width,
                    height: panels[1].height - 1), buffer: &buffer)
        } else {
            buffer.setString(
                x: panels[1].x, y: panels[1].y, "Sample predictions (after the first evaluation)",
                style: theme[.title], maxWidth: panels[1].width)
        }
    }

    /// The accuracy chart's title, with the best epoch of the monitored figure when the run keeps one
    /// (the figure and its value are in the journal and the headless lines; the title stays short
    /// so that the legend keeps its room).
    var accuracyTitle: String {
        guard let best = state.run.best else { return "Accuracy" }
        return "Accuracy · best epoch \(best.epoch)"
    }

    /// A star on the accuracy chart's x axis at the best model's epochs (fractional mid-epoch).
    private var bestMarkers: [LineChart.Marker] {
        guard let best = state.run.best else { return [] }
        let perEpoch = state.run.summary?.stepsPerEpoch ?? 0
        let x = perEpoch > 0 ? Double(best.step) / Double(perEpoch) : Double(best.epoch)
        return [LineChart.Marker(x: x, symbol: "★", name: "best", style: theme[.right])]
    }

    /// One dataset per evaluated split, the test set first.
    private func evaluationDatasets(_ series: [Split: Series]) -> [LineChart.Dataset] {
        Split.allCases.compactMap { split in
            series[split].map {
                LineChart.Dataset(name: split.rawValue, points: $0.points, style: theme[Self.role(split)])
            }
        }
    }

    private static func role(_ split: Split) -> Role {
        switch split {
        case .test: .testSeries
        case .validation: .validationSeries
        }
    }

    private func renderConfusion(_ area: Rect, buffer: inout Buffer) {
        guard let evaluation = state.run.evaluation else {
            buffer.setString(x: area.x, y: area.y, "Confusion matrix: no evaluation yet", style: theme[.title])
            return
        }
        buffer.setString(
            x: area.x, y: area.y,
            "Confusion matrix (\(evaluation.split), epoch \(evaluation.epoch), step \(evaluation.step))",
            style: theme[.title], maxWidth: area.width)
        let cursor = state.matrixCursor
        let cell = BrowserFilter.cell(trueClass: cursor.row, predictedClass: cursor.column)
        let body = Rect(x: area.x, y: area.y + 2, width: area.width, height: area.height - 2)
        // The list goes right of the matrix when both fit at their narrowest, else under it.
        let matrixWidth = ConfusionMatrixView.narrowestWidth(of: evaluation.confusion, classNames: state.run.classNames)
        let listArea: Rect
        let matrixArea: Rect
        if body.width - matrixWidth - 2 >= MostConfusedList.narrowestWidth {
            let listWidth = min(MostConfusedList.widestWidth, body.width - matrixWidth - 2)
            matrixArea = Rect(x: body.x, y: body.y, width: body.width - listWidth - 2, height: body.height)
            listArea = Rect(x: matrixArea.right + 2, y: body.y, width: listWidth, height: body.height)
        } else {
            // Header, classes, a gap, the cursor's cell and, for a folder of files, their names.
            let fileRows = evaluation.misclassified.contains { $0.fileName != nil } ? 1 : 0
            let matrixHeight = min(body.height, evaluation.confusion.classes + 4 + fileRows)
            matrixArea = Rect(x: body.x, y: body.y, width: body.width, height: matrixHeight)
            listArea = Rect(
                x: body.x, y: body.y + matrixHeight, width: min(MostConfusedList.widestWidth, body.width),
                height: body.height - matrixHeight)
        }
        ConfusionMatrixView(
            matrix: evaluation.confusion, classNames: state.run.classNames, cursor: cursor,
            cellFiles: evaluation.misclassified.filter(cell.includes).compactMap(\.fileName), theme: theme
        )
        .render(area: matrixArea, buffer: &buffer)
        MostConfusedList(
            entries: state.mostConfused, classNames: state.run.classNames, cursor: state.matrixCursor, theme: theme
        )
        .render(area: listArea, buffer: &buffer)
    }

    private func renderNoticeLine(_ row: Rect, buffer: inout Buffer) {
        switch state.input {
        case .learningRatePrompt(let text):
            var x = buffer.setString(x: row.x, y: row.y, "New learning rate: ", style: theme[.label])
            x = buffer.setString(x: x, y: row.y, text, style: theme[.message])
            x = buffer.setString(x: x, y: row.y, "█", style: theme[.message])
            let hint = state.notice?.isError == true ? "  " + state.notice!.text : "  (enter sets, esc cancels)"
            buffer.setString(
                x: x, y: row.y, hint, style: theme[state.notice?.isError == true ? .error : .dim],
                maxWidth: row.right - x)
        case .markPrompt(let mark):
            var x = buffer.setString(
                x: row.x, y: row.y, "Mark \(mark.split) image #\(mark.index) as ", style: theme[.label])
            x = buffer.setString(x: x, y: row.y, "[\(mark.kind.rawValue)]", style: theme[.title])
            x = buffer.setString(x: x, y: row.y, " note: ", style: theme[.label])
            // The end of a long note stays in view, where the person types.
            let room = max(1, row.right - x - 40)
            x = buffer.setString(x: x, y: row.y, String(mark.note.suffix(room)), style: theme[.message])
            x = buffer.setString(x: x, y: row.y, "█", style: theme[.message])
            buffer.setString(
                x: x, y: row.y, "  (tab: kind, enter marks, esc cancels)", style: theme[.dim],
                maxWidth: row.right - x)
        case .confirmQuit where state.attached:
            buffer.setString(
                x: row.x, y: row.y, "Stop the run (y, saves a checkpoint) or detach and leave it running (d)? [y/d/N]",
                style: theme[.error], maxWidth: row.width)
        case .confirmQuit:
            buffer.setString(
                x: row.x, y: row.y, "Stop training and quit? A checkpoint is saved first. [y/N]",
                style: theme[.error], maxWidth: row.width)
        case .normal:
            guard let notice = state.notice else { return }
            buffer.setString(
                x: row.x, y: row.y, notice.text, style: theme[notice.isError ? .error : .message],
                maxWidth: row.width)
        }
    }
}
