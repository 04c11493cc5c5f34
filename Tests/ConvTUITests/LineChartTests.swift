import ConvTUI
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

    @Test func risingLineWithAxesTicksAndLegend() {
        let chart = LineChart(title: "Loss", datasets: [line([(0, 0), (100, 1)])], xUnit: "step", theme: .monochrome)
        // y spans 0...1 plus 5% on each side; tick labels are the values at the middle of their rows.
        #expect(render(chart).lines == [
            "Loss  ━ loss            ",
            " 0.913┤             ⢀⣀⠤⠒",
            "      │        ⢀⣀⠤⠒⠊⠁   ",
            "      │   ⢀⡠⠤⠒⠉⠁        ",
            "0.0875┤⠤⠒⠉⠁             ",
            "      └─────────────────",
            "       0        100 step",
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
        #expect(render(chart).lines == [
            "Loss (log)  ━ a         ",
            "  44.7┤⠒⠤⣀⡀             ",
            "      │   ⠈⠑⠢⠤⣀         ",
            "      │        ⠉⠑⠢⠤⣀⡀   ",
            "0.0224┤             ⠈⠑⠒⠤",
            "      └─────────────────",
            "       0         20 step",
        ])
    }

    @Test func markersSitOnTheXAxis() {
        let chart = LineChart(title: "Loss", datasets: [line([(0, 0), (100, 1)])],
                              markers: [LineChart.Marker(x: 50, symbol: "▲", name: "lr", style: Style(modifiers: .bold)),
                                        LineChart.Marker(x: 500, symbol: "‖", name: "pause", style: .plain),
                                        LineChart.Marker(x: 60, symbol: "▲", name: "lr", style: Style(modifiers: .bold))],
                              xUnit: "step", theme: .monochrome)
        let buffer = render(chart, width: 34)
        #expect(buffer.lines[0] == "Loss  ━ loss  ▲ lr  ‖ pause       ")
        // Plot columns 7-33; 50 and 60 of 0-100 land at columns 20 and 23. 500 is off the chart.
        #expect(buffer.lines[5] == "      └─────────────▲──▲──────────")
        #expect(buffer[20, 5].style == Style(modifiers: .bold))
    }

    @Test func seriesKeepTheirStyles() {
        let red = Style(foreground: .red), blue = Style(foreground: .blue)
        let chart = LineChart(title: "Loss", datasets: [
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
}
