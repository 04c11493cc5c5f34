import ConvProtocol

/// The comparison screen: every run's training loss and evaluation accuracy overlaid, x in epochs
/// (runs with other batch sizes line up), each run in its colour and marker with its learning-rate
/// changes and pauses on the x axis; below, a row per run with its state, progress, best accuracy
/// and the settings that differ between the runs.
public struct ComparisonView: Widget {
    public var state: ComparisonState
    public var options: DashboardOptions
    public var capabilities: TerminalCapabilities

    public init(state: ComparisonState, options: DashboardOptions, capabilities: TerminalCapabilities) {
        self.state = state
        self.options = options
        self.capabilities = capabilities
    }

    private var theme: Theme { .forDepth(capabilities.colorDepth) }

    /// Loss points are many: a marker every this many columns keeps the line readable.
    static let lossMarkerSpacing = 8

    public func render(area: Rect, buffer: inout Buffer) {
        if TooSmallMessage.drawIfTooSmall(area, options: options, theme: theme, buffer: &buffer) { return }
        let tableHeight = min(state.runs.count + 2, area.height / 3)
        let parts = area.split(.vertical, [.length(1), .fill(1), .length(tableHeight), .length(1)])
        buffer.setString(
            x: parts[0].x, y: parts[0].y, "Comparing \(state.runs.count) runs", style: theme[.title],
            maxWidth: parts[0].width)
        let charts = parts[1].split(.horizontal, [.percentage(50), .fill(1)], spacing: 2)
        renderLoss(charts[0], buffer: &buffer)
        renderAccuracy(charts[1], buffer: &buffer)
        renderTable(parts[2], buffer: &buffer)
        Footer(bindings: ComparisonState.bindings, theme: theme).render(area: parts[3], buffer: &buffer)
    }

    private func style(_ index: Int) -> Style { theme.comparedRun(index) }

    private func renderLoss(_ area: Rect, buffer: inout Buffer) {
        let datasets = state.runs.enumerated().map { index, run in
            LineChart.Dataset(
                name: run.name,
                points: run.model.trainLoss.points.map { ChartPoint(x: run.epochs(atStep: Int($0.x)), y: $0.y) },
                style: style(index), marker: ComparisonState.markers[index], markerSpacing: Self.lossMarkerSpacing)
        }
        let markers = state.runs.enumerated().flatMap { index, run in
            run.model.markers.map { m in
                m.kind == .learningRate
                    ? LineChart.Marker(x: run.epochs(atStep: m.step), symbol: "▲", name: "lr", style: style(index))
                    : LineChart.Marker(x: run.epochs(atStep: m.step), symbol: "‖", name: "pause", style: style(index))
            }
        }
        LineChart(
            title: "Training loss", datasets: datasets, markers: markers, logScale: state.logScale, xUnit: "epoch",
            theme: theme
        )
        .render(area: area, buffer: &buffer)
    }

    private func renderAccuracy(_ area: Rect, buffer: inout Buffer) {
        let datasets = state.runs.enumerated().map { index, run in
            LineChart.Dataset(
                name: run.name, points: run.mainSplit.flatMap { run.model.evaluationAccuracy[$0]?.points } ?? [],
                style: style(index), marker: ComparisonState.markers[index])
        }
        LineChart(
            title: "Evaluation accuracy", datasets: datasets, yLabel: { Format.percent($0) }, xUnit: "epoch",
            theme: theme
        )
        .render(area: area, buffer: &buffer)
    }

    private func renderTable(_ area: Rect, buffer: inout Buffer) {
        let settings = state.differingSettings
        var columns: [(title: String, values: [String])] = [
            ("run", state.runs.map(\.name)),
            ("state", state.runs.map(\.state)),
            ("epoch", state.runs.map { "\($0.model.latestStep?.epoch ?? 0)/\($0.model.summary?.epochs ?? 0)" }),
            (
                "best",
                state.runs.map { run in run.best.map { Format.percent(Double($0)) + " \(run.mainSplit!)" } ?? "-" }
            ),
        ]
        columns += settings.map { (title: $0.name, values: $0.values) }
        columns.append(("changes", state.runs.map { $0.interventions.joined(separator: ", ") }))
        let widths = columns.map { column in ([column.title] + column.values).map(\.count).max() ?? 0 }
        var x = area.x + 2
        for (column, width) in zip(columns, widths) {
            guard x < area.right else { break }
            buffer.setString(x: x, y: area.y, column.title.uppercased(), style: theme[.label], maxWidth: area.right - x)
            for (row, value) in column.values.enumerated() where row + 1 < area.height {
                buffer.setString(
                    x: x, y: area.y + 1 + row, value, style: column.title == "run" ? style(row) : theme[.text],
                    maxWidth: area.right - x)
            }
            x += width + 2
        }
        for row in state.runs.indices where row + 1 < area.height {
            buffer[area.x, area.y + 1 + row] = Cell(ComparisonState.markers[row], style: style(row))
        }
    }
}

/// Runs the comparison screen until the person quits.
public enum Comparison {
    /// Draws `state` and handles keys on the calling thread (which must own `terminal`). Each turn
    /// `update` brings the state up to date (new journal lines, which runs are still served) and
    /// says whether anything changed; it is called about once a frame. Returns the final state.
    @discardableResult
    public static func run<T: Terminal>(
        terminal: inout T, state initial: ComparisonState, options: DashboardOptions = .init(),
        update: (inout ComparisonState) -> Bool
    ) -> ComparisonState {
        var state = initial
        var dirty = true
        let frame = 1 / max(1, options.framesPerSecond)
        while !state.shouldExit {
            if update(&state) { dirty = true }
            if dirty {
                let size = terminal.size
                var buffer = Buffer(area: Rect(x: 0, y: 0, width: size.width, height: size.height))
                ComparisonView(state: state, options: options, capabilities: terminal.capabilities)
                    .render(area: buffer.area, buffer: &buffer)
                terminal.draw(buffer)
                dirty = false
            }
            if let key = terminal.readKey(timeout: frame) {
                dirty = state.handle(key) || key == .resize
            }
        }
        return state
    }
}
