import ConvProtocol
import ConvTUI
import Testing

@Suite struct ComparisonTests {
    /// Two runs of SampleRun's events; the second at another learning rate and batch size, with
    /// half the steps per epoch, a pause and a better second evaluation, still going.
    private func twoRuns(secondServed: Bool = true) -> ComparisonState {
        var state = ComparisonState(runs: [
            ComparedRun(name: "base", isServed: false), ComparedRun(name: "fast-lr", isServed: secondServed),
        ])
        for event in SampleRun.events() + [
            .finished(FinalResult(step: 200, epoch: 2, seconds: 2, lastEvaluation: nil, checkpointPath: nil))
        ] {
            state.apply(event, toRun: 0)
        }
        var summary = SampleRun.summary(stepsPerEpoch: 50)
        summary.learningRate = 0.1
        summary.batchSize = 128
        state.apply(.started(summary), toRun: 1)
        for s in 1...100 {
            state.apply(.step(SampleRun.step(s, loss: 2 - Float(s) / 100, stepsPerEpoch: 50)), toRun: 1)
        }
        state.apply(.paused(step: 75, reason: nil), toRun: 1)
        state.apply(.resumed(step: 75), toRun: 1)
        var better = SampleRun.confusion()
        better.counts[6] = [0, 0, 0, 0, 0, 0, 100, 0, 0, 0]
        state.apply(.evaluation(SampleRun.evaluation(epoch: 1, step: 50)), toRun: 1)
        state.apply(.evaluation(SampleRun.evaluation(epoch: 2, step: 100, confusion: better)), toRun: 1)
        return state
    }

    @Test func onlyTheSettingsThatDifferAreListed() {
        let settings = twoRuns().differingSettings
        #expect(settings.map(\.name) == ["batch", "lr"])
        #expect(settings.map(\.values) == [["64", "128"], ["0.01", "0.1"]])
    }

    @Test func statesBestAccuracyAndInterventions() {
        let state = twoRuns()
        #expect(state.runs.map(\.state) == ["finished", "running"])
        #expect(twoRuns(secondServed: false).runs[1].state == "dead")
        #expect(state.runs[0].best == 0.88)
        #expect(state.runs[1].best == 0.91)
        #expect(state.runs[0].interventions == ["lr 0.005 @e1.2"])
        #expect(state.runs[1].interventions == ["pause @e1.5"])
    }

    @Test func lAndQAreTheKeys() {
        var state = twoRuns()
        #expect(state.handle(.character("l")) && state.logScale)
        #expect(!state.handle(.character("p")) && !state.shouldExit)
        #expect(state.handle(.character("q")) && state.shouldExit)
    }

    @Test func theScreenOverlaysEveryRunWithItsMarkerAndTabulatesThem() throws {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 100, height: 30))
        ComparisonView(
            state: twoRuns(), options: DashboardOptions(), capabilities: TerminalCapabilities(colorDepth: .monochrome)
        )
        .render(area: buffer.area, buffer: &buffer)
        let lines = buffer.lines
        #expect(lines[0].hasPrefix("Comparing 2 runs"))
        #expect(lines[1].contains("Training loss  ● base  ■ fast-lr"))
        #expect(lines[1].contains("Evaluation accuracy  ● base  ■ fast-lr"))
        let charts = lines[2..<25].joined()
        #expect(charts.filter { $0 == "●" }.count >= 3 && charts.filter { $0 == "■" }.count >= 3)
        // x counts epochs for both runs: the lr change of the first at epoch 1.2, the second's pause at 1.5.
        #expect(lines.contains { $0.contains("▲") && $0.contains("‖") && $0.contains("└") })
        let header = try #require(lines.firstIndex { $0.contains("RUN") && $0.contains("BEST") })
        #expect(lines[header].contains("BATCH") && lines[header].contains("LR") && !lines[header].contains("MODEL"))
        #expect(lines[header + 1].hasPrefix("● base") && lines[header + 1].contains("finished"))
        #expect(lines[header + 1].contains("88.0% test") && lines[header + 1].contains("lr 0.005 @e1.2"))
        #expect(lines[header + 2].hasPrefix("■ fast-lr") && lines[header + 2].contains("91.0% test"))
        #expect(lines[header + 2].contains("128") && lines[header + 2].contains("0.1"))
        #expect(lines[29].contains("l log scale") && lines[29].contains("q quit"))
    }

    @Test func theRunsHaveTheirOwnColours() {
        let theme = Theme.color
        let colours = (0..<6).map { theme.comparedRun($0).foreground }
        #expect(Set(colours).count == 6)
        #expect(Theme.monochrome.comparedRun(0) != Theme.monochrome.comparedRun(1))
    }
}
