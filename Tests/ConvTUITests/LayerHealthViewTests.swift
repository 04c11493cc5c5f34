import ConvProtocol
import ConvTUI
import Testing

/// The `w` screen and its sparklines.
@Suite struct LayerHealthViewTests {
    /// Four samples: conv1 learns with a growing weight norm, bn1 stalls at the last, fc explodes.
    static func samples() -> [TrainingEvent] {
        (1...4).map { i in
            let t = Double(i)
            return .layerHealth(
                LayerHealth(
                    step: 20 * i - 19,
                    layers: [
                        LayerStatistics(name: "conv1", weightNorm: t, gradientNorm: 0.5, updateRatio: 1e-3),
                        LayerStatistics(
                            name: "bn1", weightNorm: 4, gradientNorm: 0.1, updateRatio: i == 4 ? 1e-7 : 1e-3),
                        LayerStatistics(
                            name: "fc", weightNorm: 2, gradientNorm: 100 * t, updateRatio: i == 4 ? 0.3 : 0.01),
                    ],
                    activations: [
                        ActivationStatistics(name: "bn1", deadFraction: 0.0625),
                        ActivationStatistics(name: "relu2", deadFraction: 0.75),
                    ]))
        }
    }

    @Test func sparklinesScaleBetweenTheirLowestAndHighestValues() {
        func row(_ values: [Double], logScale: Bool = false, width: Int) -> String {
            var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: 1))
            Sparkline(values: values, logScale: logScale, style: Style()).render(area: buffer.area, buffer: &buffer)
            return buffer.lines[0]
        }
        #expect(row([0, 1, 2, 3, 4, 5, 6, 7], width: 8) == "▁▂▃▄▅▆▇█")
        #expect(row([1, 10, 100], logScale: true, width: 3) == "▁▅█")
        // Eight values in four cells: pairs averaged.
        #expect(row([0, 0, 1, 1, 2, 2, 3, 3], width: 4) == "▁▃▆█")
        #expect(row([2, 2], width: 4) == "▅▅  ")
        #expect(row([0, 1], logScale: true, width: 2) == "▁█")
    }

    @Test func wOpensTheScreenWithOneRowPerLayerAndFlags() {
        var s = SampleRun.state(SampleRun.events() + Self.samples()).state
        #expect(s.action(for: .character("w")) == .openLayerHealth)
        _ = s.reduce(.openLayerHealth)
        var terminal = MemoryTerminal(width: 80, height: 24)
        Dashboard.draw(s, options: .init(), on: &terminal)
        let lines = terminal.lines
        #expect(lines[2].hasPrefix(" Layer health at step 61, over the run (log scale): 2 layers flagged"))
        #expect(
            lines[4].hasPrefix(" layer weight norm       gradient norm     update/weight        dead"), "\(lines[4])")
        #expect(lines[5].hasPrefix(" conv1 ▁▅▇█     " + String(repeating: " ", count: 7) + "4 ▅▅▅▅"), "\(lines[5])")
        #expect(!lines[5].contains("%") && !lines[5].contains("stalled"))
        // bn1's fused ReLU shares its row.
        #expect(
            lines[6].hasPrefix(" bn1   ▅▅▅▅") && lines[6].contains("1.0e-07") && lines[6].contains("6.2% stalled"),
            "\(lines[6])")
        #expect(
            lines[7].hasPrefix(" fc ") && lines[7].contains("400") && lines[7].hasSuffix("exploding  "), "\(lines[7])")
        #expect(lines[8].hasPrefix(" ReLU") && lines[8].contains("dead"))
        #expect(lines[9].hasPrefix(" relu2") && lines[9].contains("75.0%"), "\(lines[9])")
        #expect(lines[23].hasPrefix("? h help  q quit  esc back"))
    }

    @Test func rowsBeyondTheScreenAreCountedAndNoSampleIsSaid() {
        let layers = (0..<30).map {
            LayerStatistics(name: "conv\($0)", weightNorm: 1, gradientNorm: 1, updateRatio: 1e-3)
        }
        var s = SampleRun.state(
            SampleRun.events() + [.layerHealth(LayerHealth(step: 1, layers: layers, activations: []))]
        )
        .state
        _ = s.reduce(.openLayerHealth)
        var terminal = MemoryTerminal(width: 80, height: 24)
        Dashboard.draw(s, options: .init(), on: &terminal)
        // 18 rows: the heading, 16 layers and the note for the other 14.
        #expect(terminal.lines[20].hasPrefix(" conv15 "))
        #expect(terminal.lines[21].hasPrefix(" … 14 more rows: a taller terminal shows them"))

        var empty = SampleRun.state().state
        _ = empty.reduce(.openLayerHealth)
        #expect(empty.notice?.text == "no layer-health sample yet: the run takes one every few steps")
        Dashboard.draw(empty, options: .init(), on: &terminal)
        #expect(terminal.lines[2].hasPrefix(" Layer health: no sample yet"))
    }
}
