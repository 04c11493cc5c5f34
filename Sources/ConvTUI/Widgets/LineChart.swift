import Foundation

/// A chart of one or more series drawn with braille dots, with a y axis of tick labels, an x axis
/// with tick labels and markers, a title and a legend. Scales itself to the data.
public struct LineChart: Widget {
    /// One series and how it is drawn.
    public struct Dataset: Sendable {
        public var name: String
        public var points: [ChartPoint]
        public var style: Style
        /// A symbol drawn over the line at its points (and in the legend), so that the series can
        /// be told apart without colour.
        public var marker: Character?
        /// The fewest columns between two drawn markers; 0 marks every point.
        public var markerSpacing: Int

        public init(
            name: String, points: [ChartPoint], style: Style, marker: Character? = nil, markerSpacing: Int = 0
        ) {
            self.name = name
            self.points = points
            self.style = style
            self.marker = marker
            self.markerSpacing = markerSpacing
        }
    }

    /// A symbol on the x axis at a given x, such as a learning-rate change; the legend names it.
    public struct Marker: Sendable {
        public var x: Double
        public var symbol: Character
        public var name: String
        public var style: Style

        public init(x: Double, symbol: Character, name: String, style: Style) {
            self.x = x
            self.symbol = symbol
            self.name = name
            self.style = style
        }
    }

    public var title: String
    public var datasets: [Dataset]
    public var markers: [Marker]
    /// Plot log10(y); values that are not positive are left out.
    public var logScale: Bool
    /// Fixed y bounds; `nil` scales to the data.
    public var yBounds: ClosedRange<Double>?
    /// How y tick labels are written.
    public var yLabel: @Sendable (Double) -> String
    /// What the x axis counts ("step", "epoch"), written left of the x tick labels.
    public var xUnit: String
    /// Whether x counts whole things (steps), so that x ticks are never fractions.
    public var xWholeNumbers: Bool
    /// How x tick labels are written, when not as plain numbers: a log axis plots log10(x) and
    /// labels its whole-number ticks as the powers of ten they stand for.
    public var xLabel: (@Sendable (Double) -> String)?
    public var theme: Theme

    public init(
        title: String, datasets: [Dataset], markers: [Marker] = [], logScale: Bool = false,
        yBounds: ClosedRange<Double>? = nil, yLabel: @escaping @Sendable (Double) -> String = Format.compact,
        xUnit: String, xWholeNumbers: Bool = false, xLabel: (@Sendable (Double) -> String)? = nil, theme: Theme
    ) {
        self.title = title
        self.datasets = datasets
        self.markers = markers
        self.logScale = logScale
        self.yBounds = yBounds
        self.yLabel = yLabel
        self.xUnit = xUnit
        self.xWholeNumbers = xWholeNumbers
        self.xLabel = xLabel
        self.theme = theme
    }

    /// The y value as plotted.
    private func plotted(_ y: Double) -> Double? {
        guard y.isFinite else { return nil }
        if logScale { return y > 0 ? log10(y) : nil }
        return y
    }

    /// The x and y ranges that the chart shows (y in plotted units), or `nil` when there is no data.
    public func ranges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        var (x0, x1, y0, y1) = (Double.infinity, -Double.infinity, Double.infinity, -Double.infinity)
        for dataset in datasets {
            for p in dataset.points {
                guard let y = plotted(p.y) else { continue }
                x0 = min(x0, p.x); x1 = max(x1, p.x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        guard x0 <= x1 else { return nil }
        // A single x (or two that differ only in their last bits) gets a unit of room around it.
        if x1 - x0 <= max(abs(x0), abs(x1)) * 1e-9 { x0 -= 0.5; x1 += 0.5 }
        if let yBounds, let lo = plotted(yBounds.lowerBound), let hi = plotted(yBounds.upperBound) {
            y0 = lo; y1 = hi
        } else {
            let pad = y1 > y0 ? (y1 - y0) * 0.05 : max(abs(y0) * 0.1, 0.05)
            y0 -= pad; y1 += pad
        }
        return (x0...x1, y0...y1)
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard area.height >= 4, area.width >= 12 else { return }
        renderTitle(area.row(0), buffer: &buffer)
        guard let (xr, yr) = ranges() else {
            buffer.setString(
                x: area.x + 2, y: area.y + area.height / 2, "waiting for data…",
                style: theme[.dim], maxWidth: area.width - 2)
            return
        }
        let plotRows = area.height - 3
        let tickRows = tickRowIndices(plotRows)
        let labels = tickRows.map { yLabel(value(atRow: $0, rows: plotRows, range: yr)) }
        // Wide enough for the x unit too, which sits in this margin on the tick row.
        let labelWidth = min(8, max(xUnit.count, labels.map(\.count).max() ?? 1))
        let plot = Rect(x: area.x + labelWidth + 1, y: area.y + 1, width: area.width - labelWidth - 1, height: plotRows)
        for (row, label) in zip(tickRows, labels) {
            buffer.setString(
                x: area.x, y: plot.y + row, Format.padLeft(label, labelWidth), style: theme[.axis],
                maxWidth: labelWidth)
        }
        for row in 0..<plotRows {
            buffer[plot.x - 1, plot.y + row] = Cell(tickRows.contains(row) ? "┤" : "│", style: theme[.axis])
        }
        let axisY = plot.bottom
        buffer[plot.x - 1, axisY] = Cell("└", style: theme[.axis])
        for x in plot.left..<plot.right { buffer[x, axisY] = Cell("─", style: theme[.axis]) }

        var canvas = BrailleCanvas(columns: plot.width, rows: plot.height)
        func dot(_ p: ChartPoint) -> (x: Int, y: Int)? {
            guard let y = plotted(p.y) else { return nil }
            let fx = (p.x - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
            let fy = (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound)
            // A value far outside the bounds (a diverging loss) stays a point far off the canvas,
            // within what an Int holds: the canvas draws only the part of a line that shows.
            let far = Double(1 << 40)
            return (
                Int(min(far, max(-far, fx * Double(canvas.dotWidth - 1))).rounded()),
                Int(min(far, max(-far, (1 - fy) * Double(canvas.dotHeight - 1))).rounded())
            )
        }
        // The points of one dot column are drawn as one vertical span from their lowest to their
        // highest (the dots the path between them would set), joined to the next column's first
        // point: a long history costs one span per column, not one line per point.
        for dataset in datasets {
            var column: (x: Int, low: Int, high: Int, last: Int)?
            func drawColumn() {
                guard let c = column else { return }
                canvas.line(from: (c.x, c.low), to: (c.x, c.high), style: dataset.style)
            }
            for point in dataset.points {
                guard let d = dot(point) else {
                    drawColumn()
                    column = nil
                    continue
                }
                if let c = column, c.x == d.x {
                    column = (c.x, min(c.low, d.y), max(c.high, d.y), d.y)
                    continue
                }
                drawColumn()
                if let c = column { canvas.line(from: (c.x, c.last), to: d, style: dataset.style) }
                column = (d.x, d.y, d.y, d.y)
            }
            drawColumn()
        }
        canvas.render(x: plot.x, y: plot.y, buffer: &buffer)
        for (order, dataset) in datasets.filter({ $0.marker != nil }).enumerated() {
            renderMarkers(dataset, order: order, plot: plot, dot: dot, buffer: &buffer)
        }

        renderXTicks(plot: plot, axisY: axisY, range: xr, buffer: &buffer)
        for marker in markers where xr.contains(marker.x) {
            buffer[column(of: marker.x, plot: plot, range: xr), axisY] = Cell(marker.symbol, style: marker.style)
        }
    }

    /// The dataset's marker on its points, at least `markerSpacing` columns apart, and on its last
    /// point. Each marked dataset starts a few columns further on (`order`), so that series which
    /// share their x values do not hide each other's markers.
    private func renderMarkers(
        _ dataset: Dataset, order: Int, plot: Rect, dot: (ChartPoint) -> (x: Int, y: Int)?, buffer: inout Buffer
    ) {
        guard let marker = dataset.marker else { return }
        let cells = dataset.points.compactMap(dot).map { (x: plot.x + $0.x / 2, y: plot.y + $0.y / 4) }
        let spacing = dataset.markerSpacing
        var next = spacing == 0 ? Int.min : plot.x + (order * 3) % spacing
        for (index, cell) in cells.enumerated() where cell.x >= next || index == cells.count - 1 {
            buffer[cell.x, cell.y] = Cell(marker, style: dataset.style)
            next = cell.x + spacing
        }
    }

    /// The plot column whose braille dots draw `x`.
    private func column(of x: Double, plot: Rect, range: ClosedRange<Double>) -> Int {
        let f = (x - range.lowerBound) / (range.upperBound - range.lowerBound)
        return plot.x + Int((f * Double(plot.width * 2 - 1)).rounded()) / 2
    }

    /// Where a tick label starts: centred under its column, kept inside the plot.
    private func labelStart(_ label: String, column: Int, plot: Rect) -> Int {
        max(plot.x, min(column - (label.count - 1) / 2, plot.right - label.count))
    }

    /// The finest round x ticks whose labels, under their columns, keep two blanks between them;
    /// when no step gives two such ticks, the one tick that fits; `nil` when not even one does.
    public func xTicks(plot: Rect, range: ClosedRange<Double>) -> AxisTicks? {
        var single: AxisTicks?
        for step in AxisTicks.candidateSteps(
            for: range, maximumCount: max(1, plot.width / 3),
            wholeNumbers: xWholeNumbers)
        {
            guard var ticks = AxisTicks(range: range, step: step), !ticks.values.isEmpty else { continue }
            if let xLabel { ticks.labels = ticks.values.map(xLabel) }
            var end = Int.min / 2
            let fits = zip(ticks.values, ticks.labels).allSatisfy { value, label in
                let start = labelStart(label, column: column(of: value, plot: plot, range: range), plot: plot)
                defer { end = start + label.count }
                return start >= end + 2 && start + label.count <= plot.right
            }
            guard fits else { continue }
            if ticks.values.count >= 2 { return ticks }
            single = single ?? ticks
        }
        return single
    }

    private func renderTitle(_ row: Rect, buffer: inout Buffer) {
        var x = buffer.setString(
            x: row.x, y: row.y, title + (logScale ? " (log)" : ""), style: theme[.title],
            maxWidth: row.width)
        var shown: [String] = []
        for dataset in datasets where !dataset.points.isEmpty && !shown.contains(dataset.name) {
            shown.append(dataset.name)
            guard x + dataset.name.count + 4 <= row.right else { break }
            x = buffer.setString(x: x + 2, y: row.y, dataset.marker.map { String($0) } ?? "━", style: dataset.style)
            x = buffer.setString(x: x + 1, y: row.y, dataset.name, style: theme[.dim])
        }
        var named: [String] = []
        for marker in markers where !named.contains(marker.name) {
            named.append(marker.name)
            guard x + marker.name.count + 4 <= row.right else { break }
            x = buffer.setString(x: x + 2, y: row.y, String(marker.symbol), style: marker.style)
            x = buffer.setString(x: x + 1, y: row.y, marker.name, style: theme[.dim])
        }
    }

    /// Rows (from the top of the plot) that get a y tick label: top, bottom, and about every 4 rows.
    private func tickRowIndices(_ rows: Int) -> [Int] {
        guard rows > 1 else { return [0] }
        let intervals = max(1, (rows - 1) / 4)
        return Array(Set((0...intervals).map { ($0 * (rows - 1) + intervals / 2) / intervals })).sorted()
    }

    /// The y value at the middle of a plot row, in data units.
    private func value(atRow row: Int, rows: Int, range: ClosedRange<Double>) -> Double {
        let f = 1 - (Double(row) + 0.5) / Double(rows)
        let v = range.lowerBound + f * (range.upperBound - range.lowerBound)
        return logScale ? pow(10, v) : v
    }

    private func renderXTicks(plot: Rect, axisY: Int, range: ClosedRange<Double>, buffer: inout Buffer) {
        buffer.setString(x: plot.x - 1 - xUnit.count, y: axisY + 1, xUnit, style: theme[.axis])
        guard let ticks = xTicks(plot: plot, range: range) else { return }
        for (value, label) in zip(ticks.values, ticks.labels) {
            let column = column(of: value, plot: plot, range: range)
            buffer[column, axisY] = Cell("┬", style: theme[.axis])
            buffer.setString(x: labelStart(label, column: column, plot: plot), y: axisY + 1, label, style: theme[.axis])
        }
    }
}
