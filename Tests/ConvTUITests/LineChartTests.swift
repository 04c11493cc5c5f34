import ConvTUI
import Foundation
import Testing

@Suite struct LineChartTests {
    private func render(_ chart: LineChart, width: Int = 24, height: Int = 7) -> Buffer {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        chart.render(area: buffer.area, buffer: &buffer)
        return buffer
    }

    private func line(_ ys: [(Double, Double)], name: String = "loss") -> LineChart.Dataset {
        LineChart.Dataset(name: name, points: ys.map { ChartPoint(x: $0.0, y: $0.1) }, style: .plain)
    }

    @Test(.timeLimit(.minutes(1))) func aValueFarAboveTheBoundsLeavesAtTheTop() {
        // A range test's last loss (the largest finite Float) on bounds zoomed in on its valley.
        let chart = LineChart(
            title: "Loss", datasets: [line([(0, 1.5), (1, 1.2), (2, Double(Float.greatestFiniteMagnitude))])],
            yBounds: 1...2, xUnit: "lr", theme: .monochrome)
        // From 1.2 to the largest Float the line leaves through the top straight above x = 1.
        #expect(
            render(chart).lines[1...4] == [
                "1.88┤         ⢸         ",
                "    │         ⢸         ",
                "    │⠉⠑⠒⠒⠤⠤⣀⣀⡀⢸         ",
                "1.12┤        ⠈⠉         ",
            ])
    }

    @Test func risingLineWithAxesTicksAndLegend() {
        let chart = LineChart(title: "Loss", datasets: [line([(0, 0), (100, 1)])], xUnit: "step", theme: .monochrome)
        // y spans 0...1 plus 5% on each side; tick labels are the values at the middle of their rows.
        #expect(
            render(chart).lines == [
                "Loss  ━ loss            ",
                " 0.913┤             ⢀⣀⠤⠒",
                "      │        ⢀⣀⠤⠒⠊⠁   ",
                "      │   ⢀⡠⠤⠒⠉⠁        ",
                "0.0875┤⠤⠒⠉⠁             ",
                "      └┬───────┬───────┬",
                "  step 0       50    100",
            ])
    }

    @Test func autoscaleFollowsTheData() {
        let chart = LineChart(title: "Loss", datasets: [line([(0, 0), (100, 10)])], xUnit: "step", theme: .monochrome)
        let lines = render(chart).lines
        #expect(lines[1].hasPrefix(" 9.12┤"))
        #expect(lines[4].hasPrefix("0.875┤"))
    }

    @Test func logScaleDrawsExponentialDecayAsAStraightLine() {
        let decay = line([(0, 100), (10, 1), (20, 0.01)], name: "a")
        let chart = LineChart(title: "Loss", datasets: [decay], logScale: true, xUnit: "step", theme: .monochrome)
        #expect(
            render(chart).lines == [
                "Loss (log)  ━ a         ",
                "  44.7┤⠒⠤⣀⡀             ",
                "      │   ⠈⠑⠢⠤⣀         ",
                "      │        ⠉⠑⠢⠤⣀⡀   ",
                "0.0224┤             ⠈⠑⠒⠤",
                "      └┬───────┬───────┬",
                "  step 0       10     20",
            ])
    }

    @Test func markersSitOnTheXAxis() {
        let chart = LineChart(
            title: "Loss", datasets: [line([(0, 0), (100, 1)])],
            markers: [
                LineChart.Marker(x: 50, symbol: "▲", name: "lr", style: Style(modifiers: .bold)),
                LineChart.Marker(x: 500, symbol: "‖", name: "pause", style: .plain),
                LineChart.Marker(x: 60, symbol: "▲", name: "lr", style: Style(modifiers: .bold)),
            ],
            xUnit: "step", theme: .monochrome)
        let buffer = render(chart, width: 34)
        #expect(buffer.lines[0] == "Loss  ━ loss  ▲ lr  ‖ pause       ")
        // Plot columns 7-33; 50 and 60 of 0-100 land at columns 20 and 23 (the marker hides the
        // tick at 50). 500 is off the chart.
        #expect(buffer.lines[5] == "      └┬────────────▲──▲─────────┬")
        #expect(buffer[20, 5].style == Style(modifiers: .bold))
    }

    @Test func seriesKeepTheirStyles() {
        let red = Style(foreground: .red), blue = Style(foreground: .blue)
        let chart = LineChart(
            title: "Loss",
            datasets: [
                LineChart.Dataset(name: "a", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 0)], style: red),
                LineChart.Dataset(name: "b", points: [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: 1)], style: blue),
            ], xUnit: "epoch", theme: .color)
        let buffer = render(chart)
        #expect(buffer[10, 1].style == blue)
        #expect(buffer[10, 4].style == red)
        #expect(buffer.lines[0] == "Loss  ━ a  ━ b          ")
    }

    @Test func noDataSaysSo() {
        let chart = LineChart(title: "Loss", datasets: [], xUnit: "step", theme: .monochrome)
        #expect(render(chart).lines[3] == "  waiting for data…     ")
    }

    @Test func aMarkedSeriesShowsItsMarkerOnItsPointsAndInTheLegend() {
        var accuracy = line([(0, 0), (50, 0.5), (100, 1)], name: "a")
        accuracy.marker = "■"
        let chart = LineChart(title: "Acc", datasets: [accuracy], xUnit: "epoch", theme: .monochrome)
        let lines = render(chart).lines
        #expect(lines[0] == "Acc  ■ a                ")
        // Every point (spacing 0) at its cell: the corners and the middle of the plot.
        #expect(Array(lines[4])[7] == "■" && Array(lines[1])[23] == "■")
        #expect(lines[1...4].joined().filter { $0 == "■" }.count == 3)
    }

    @Test func markerSpacingThinsTheMarkersAndTheLastPointIsMarked() {
        let points = (0...100).map { (Double($0), Double($0)) }
        var dense = line(points, name: "a")
        dense.marker = "●"
        dense.markerSpacing = 8
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 40, height: 10))
        LineChart(title: "L", datasets: [dense], xUnit: "step", theme: .monochrome)
            .render(area: buffer.area, buffer: &buffer)
        let columns = (0..<40).filter { x in (1..<8).contains { buffer[x, $0].symbol == "●" } }
        #expect(columns.count >= 4 && columns.count <= 6, "\(columns)")
        #expect(zip(columns, columns.dropFirst()).allSatisfy { $1 - $0 >= 8 || $1 == columns.last })
        #expect(columns.last == 39)
    }
}

@Suite struct LineChartXTickTests {
    /// The x tick labels of a chart of accuracy against epochs at these x values, as rendered.
    private func tickLabels(_ xs: [Double], width: Int = 40, wholeNumbers: Bool = false) -> [String] {
        let points = xs.enumerated().map { ChartPoint(x: $0.element, y: 0.5 + Double($0.offset) / 100) }
        let chart = LineChart(
            title: "Accuracy", datasets: [LineChart.Dataset(name: "test", points: points, style: .plain)],
            xUnit: "epoch", xWholeNumbers: wholeNumbers, theme: .monochrome)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: 8))
        chart.render(area: buffer.area, buffer: &buffer)
        let row = buffer.lines[7]
        #expect(row.split(separator: " ").first == "epoch", "no unit on \(row)")
        return row.split(separator: " ").dropFirst().map(String.init)
    }

    /// A label's value: "0.5", "12", "200k", "1M".
    private func value(_ label: String) -> Double? {
        switch label.last {
        case "k": Double(label.dropLast()).map { $0 * 1000 }
        case "M": Double(label.dropLast()).map { $0 * 1_000_000 }
        default: Double(label)
        }
    }

    private func expectSensible(_ labels: [String], _ context: String) {
        let values = labels.compactMap(value)
        #expect(values.count == labels.count && labels.count >= 2, "\(context): \(labels)")
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "\(context): not increasing: \(labels)")
        #expect(!labels.contains { $0.hasPrefix("-0") && Double($0) == 0 }, "\(context): \(labels)")
    }

    @Test func midEpochEvaluationsGetDistinctIncreasingTicks() {
        // Evaluations at 1.6 and 2.3 epochs used to be labelled "2 … 2", one at 0.3 epochs "-0 … 1".
        let late = tickLabels([1.6, 2.3])
        expectSensible(late, "1.6...2.3")
        #expect(late.allSatisfy { Double($0)! >= 1.6 && Double($0)! <= 2.3 })
        #expect(late.contains { Double($0) == 2 } && late.contains { $0.contains(".") })
        let early = tickLabels([0.3])
        expectSensible(early, "one point at 0.3")
        #expect(!early.contains("-0") && !early.contains("-0.0"))
        for range in [[0.0, 1], [0.25, 0.5], [0.999, 1.001], [3, 3.002], [0.01, 40], [1, 1_000_000]] {
            expectSensible(tickLabels(range), "\(range)")
        }
    }

    @Test func ticksSitUnderTheirValues() {
        // 0...10 over 34 plot columns (68 dots): 0, 2, ... 10 at columns 0, 6, 13, 20, 27, 33 of the
        // plot; "10" ends at the plot's edge. Steps of 1 would crowd the labels.
        let chart = LineChart(
            title: "A",
            datasets: [
                LineChart.Dataset(
                    name: "a", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 10, y: 1)], style: .plain)
            ],
            xUnit: "epoch", theme: .monochrome)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 40, height: 8))
        chart.render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines[6] == "     └┬─────┬──────┬──────┬──────┬─────┬")
        #expect(buffer.lines[7] == "epoch 0     2      4      6      8    10")
    }

    @Test func wholeNumberAxesNeverGetFractionalTicks() {
        let steps = tickLabels([1, 3], wholeNumbers: true)
        #expect(steps == ["1", "2", "3"])
        let single = tickLabels([7], wholeNumbers: true)
        #expect(single == ["7"])
    }

    @Test func stepsAreRoundAndLabelsHaveTheDecimalsTheyNeed() throws {
        let halves = try #require(AxisTicks(range: -0.4...1.7, step: 0.5))
        #expect(halves.labels == ["0.0", "0.5", "1.0", "1.5"])
        let tenths = try #require(AxisTicks(range: 0.05...0.35, step: 0.1))
        #expect(tenths.labels == ["0.1", "0.2", "0.3"])
        let large = try #require(AxisTicks(range: 12_005...12_035, step: 10))
        #expect(large.labels == ["12,010", "12,020", "12,030"])
        #expect(AxisTicks.candidateSteps(for: 0...100, maximumCount: 5) == [20, 50, 100, 200, 500])
        #expect(AxisTicks.candidateSteps(for: 0...3, maximumCount: 10, wholeNumbers: true) == [1, 2, 5])
        #expect(AxisTicks(range: 0...1e9, step: 1) == nil)
    }
}

@Suite struct LineChartHistoryTests {
    private func render(_ points: [ChartPoint]) -> Buffer {
        let chart = LineChart(
            title: "Loss", datasets: [LineChart.Dataset(name: "train", points: points, style: .plain)],
            xUnit: "step", xWholeNumbers: true, theme: .monochrome)
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 40, height: 10))
        chart.render(area: buffer.area, buffer: &buffer)
        return buffer
    }

    @Test func aLongHistoryDrawsTheSameDotsAsEachColumnsExtremes() throws {
        // A noisy loss of 20,000 steps: many points share each dot column. Keeping only each
        // column's first, lowest, highest and last point must not change a single cell.
        let points = (0..<20_000).map { i -> ChartPoint in
            let x = Double(i)
            let trend: Double = 2 * exp(-x / 4000)
            let noise: Double = 0.3 * sin(x * 0.7) * sin(x * 0.013)
            return ChartPoint(x: x, y: trend + noise)
        }
        let full = render(points)
        let axis = try #require(full.lines.first { $0.contains("└") } as String?)
        let plotX = Array(axis).firstIndex(of: "└")! + 1
        let dotColumns = 2 * (40 - plotX)
        var reduced: [ChartPoint] = []
        var column: [ChartPoint] = []
        func flush() {
            guard let first = column.first, let last = column.last else { return }
            let low = column.min { $0.y < $1.y }!, high = column.max { $0.y < $1.y }!
            reduced += [first, low, high, last]
            column = []
        }
        var current = -1
        for p in points {
            let dot = Int((p.x / 19_999 * Double(dotColumns - 1)).rounded())
            if dot != current { flush(); current = dot }
            column.append(p)
        }
        flush()
        #expect(reduced.count < points.count / 50)
        #expect(render(reduced) == full)
    }
}
