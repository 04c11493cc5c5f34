import ConvProtocol
import ConvTUI
import Testing

@Suite struct ModelSummaryViewTests {
    /// LeNet on 1x28x28 images as `convtop model summary lenet` tables it.
    static let lenet = ModelTable(
        rows: [
            row("conv1", "conv 1->6 5x5 p2", [6, 28, 28], 156, 117_600, "implicit-gemm"),
            row("relu1", "relu", [6, 28, 28]),
            row("pool1", "maxpool 2x2", [6, 14, 14]),
            row("conv2", "conv 6->16 5x5", [16, 10, 10], 2416, 240_000, "implicit-gemm"),
            row("relu2", "relu", [16, 10, 10]),
            row("pool2", "maxpool 2x2", [16, 5, 5]),
            row("flatten", "flatten", [400]),
            row("fc1", "linear 400->120", [120], 48120, 48000),
            row("relu3", "relu", [120]),
            row("fc2", "linear 120->84", [84], 10164, 10080),
            row("relu4", "relu", [84]),
            row("fc3", "linear 84->10", [10], 850, 840),
        ], parameters: 61706, multiplyAdds: 416_520)

    static func row(
        _ name: String, _ layer: String, _ shape: [Int], _ parameters: Int = 0, _ multiplyAdds: Int = 0,
        _ algorithm: String = "", depth: Int = 0
    ) -> ModelTable.Row {
        ModelTable.Row(
            depth: depth, name: name, layer: layer, outputShape: shape, parameters: parameters,
            multiplyAdds: multiplyAdds, algorithm: algorithm)
    }

    static let initialization = WeightInitialization(
        source: "runs/a/checkpoint.safetensors", taken: ["conv1.weight", "conv1.bias"],
        reinitialized: ["fc3.weight", "fc3.bias"], frozen: ["conv1.weight"])

    /// A run that sent `table` (and `--init-from` news when `initialized`), with the model screen open.
    private func modelScreen(_ table: ModelTable?, initialized: Bool = false) -> DashboardState {
        var summary = SampleRun.summary()
        summary.modelTable = table
        var state = SampleRun.state([.started(summary)] + (initialized ? [.initialized(Self.initialization)] : []))
            .state
        _ = state.reduce(state.action(for: .character("i"))!)
        return state
    }

    private func draw(_ state: DashboardState) -> [String] {
        var terminal = MemoryTerminal(width: 80, height: 24)
        Dashboard.draw(state, options: .init(), on: &terminal)
        return terminal.lines
    }

    @Test func iShowsTheRunningModelsTable() {
        let state = modelScreen(Self.lenet, initialized: true)
        #expect(state.screen == .modelSummary)
        let lines = draw(state)
        #expect(lines[2].hasPrefix(" lenet: 61,706 parameters, 416,520 mult-adds per 1x28x28 image "))
        // The layer column takes what the others leave of the 78 columns.
        #expect(
            lines[3]
                == " Layer" + String(repeating: " ", count: 24)
                + "  Output shape  Param #  Mult-adds  Algorithm     ")
        #expect(
            lines[4]
                == " conv1: conv 1->6 5x5 p2" + String(repeating: " ", count: 6)
                + "       6x28x28      156    117,600  implicit-gemm ")
        #expect(
            lines[5].hasPrefix(
                " relu1: relu" + String(repeating: " ", count: 18) + "       6x28x28        -          -"))
        #expect(
            lines[15].hasPrefix(
                " fc3: linear 84->10" + String(repeating: " ", count: 11) + "            10      850        840"))
        #expect(lines[16].trimmingCharacters(in: .whitespaces).isEmpty)
        // What --init-from took, wrapped at spaces under the table.
        #expect(
            lines[20] == Format.padRight(" initialised from runs/a/checkpoint.safetensors: took 2 of 4 tensors;", 80))
        #expect(lines[21] == Format.padRight(" re-initialised: fc3.weight, fc3.bias; frozen: conv1.weight", 80))
        #expect(lines[23].hasPrefix("↑↓ jk scroll  ? h help  q quit  esc back"))
    }

    /// Keys as the dashboard's loop hands them over: the screen's last scroll set for the terminal first.
    private func press(_ key: Key, _ state: inout DashboardState) {
        state.lastScroll = DashboardView.lastScroll(of: state, width: 80, height: 24)
        _ = state.reduce(state.action(for: key)!)
    }

    @Test func theTableScrollsAndStopsAtItsEnds() {
        let long = ModelTable(
            rows: (0..<30).map { Self.row("layer\($0)", "relu", [8, 4, 4], depth: $0 % 2) }, parameters: 0,
            multiplyAdds: 0)
        var state = modelScreen(long)
        // 20 rows of body: the title, the header and 18 rows of the table.
        #expect(draw(state)[3].hasPrefix(" Layer, rows 1-18 of 30   "))
        press(.character("k"), &state)
        #expect(state.modelTableScroll == 0)
        for _ in 0..<5 { press(.down, &state) }
        var lines = draw(state)
        #expect(lines[3].hasPrefix(" Layer, rows 6-23 of 30   "))
        #expect(lines[4].hasPrefix("   layer5: relu "))
        #expect(lines[5].hasPrefix(" layer6: relu "))
        // Past the end it stops at the last screenful, so the first key back moves the table.
        for _ in 0..<100 { press(.character("j"), &state) }
        lines = draw(state)
        #expect(state.modelTableScroll == 12)
        #expect(lines[3].hasPrefix(" Layer, rows 13-30 of 30  "))
        #expect(lines[4].hasPrefix(" layer12: relu "))
        #expect(lines[21].hasPrefix("   layer29: relu "))
        press(.character("k"), &state)
        #expect(draw(state)[3].hasPrefix(" Layer, rows 12-29 of 30  "))
        _ = state.reduce(.back)
        #expect(state.screen == .main)
        _ = state.reduce(.openModelSummary)
        #expect(state.modelTableScroll == 0)
    }

    @Test func longTextWrapsAtSpacesIntoThreeLinesAtMost() {
        #expect(Format.wrapped("aa bb cc dd", width: 5) == ["aa bb", "cc dd"])
        #expect(Format.wrapped("aa bb cc dd ee ff gg", width: 5) == ["aa bb", "cc dd", "ee f…"])
        #expect(Format.wrapped("abcdefgh ij", width: 5) == ["abcdefgh", "ij"])
    }

    @Test func aRunWithoutATableSaysSo() {
        #expect(draw(modelScreen(nil))[2].hasPrefix(" Model summary: this run did not send its layers"))
        var state = DashboardState()
        _ = state.reduce(.openModelSummary)
        #expect(draw(state)[2].hasPrefix(" Model summary: the run has not started yet"))
    }

    @Test func initFromNewsIsTheNoticeAndStaysOnTheModelScreen() {
        var state = DashboardState()
        state.apply(.started(SampleRun.summary()))
        state.apply(.initialized(Self.initialization))
        #expect(state.notice == Notice(Self.initialization.description))
        #expect(state.run.initialization == Self.initialization)
        #expect(
            Self.initialization.description
                == "initialised from runs/a/checkpoint.safetensors: took 2 of 4 tensors; "
                + "re-initialised: fc3.weight, fc3.bias; frozen: conv1.weight")
    }

    @Test func iIsInTheKeyTableAndTheHelp() {
        #expect(KeyTable.action(for: .character("i"), on: .main) == .openModelSummary)
        #expect(KeyTable.action(for: .character("j"), on: .modelSummary) == .move(rows: 1, columns: 0))
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 80))
        HelpScreen(theme: .color).render(area: buffer.area, buffer: &buffer)
        #expect(buffer.lines.contains { $0.hasPrefix("  i       model summary table") })
        #expect(buffer.lines.contains { $0.hasPrefix("Model summary (i)") })
    }
}
