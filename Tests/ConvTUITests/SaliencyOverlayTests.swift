import ConvProtocol
import ConvTUI
import Foundation
import Testing

extension SampleRun {
    /// The answer a session gives `request` on the sample images (28x28), as if every image were the
    /// browser's first (true class 6, predicted 0): maps bright in the left half, where the sample
    /// images are black, and dark in the right.
    static func saliency(_ request: SaliencyRequest, step: Int) -> SaliencyMaps {
        let values = (0..<(28 * 28)).map { $0 % 28 < 14 ? UInt8(255) : 0 }
        return SaliencyMaps(
            split: request.split, step: step, target: request.target, method: "Grad-CAM of conv2",
            maps: request.indices.map {
                SaliencyMap(
                    index: $0, label: request.target == .predicted ? 0 : 6, predictedLabel: 0, height: 28, width: 28,
                    values: values)
            })
    }
}

/// The `g` overlay: which maps the dashboard asks for, and how it draws them.
@Suite struct SaliencyOverlayTests {
    private var state: DashboardState { SampleRun.state().state }

    private func draw(
        _ state: DashboardState, colorDepth: ColorDepth = .direct, width: Int = 80, height: Int = 24
    ) -> MemoryTerminal {
        var terminal = MemoryTerminal(
            width: width, height: height, capabilities: TerminalCapabilities(colorDepth: colorDepth))
        Dashboard.draw(state, options: .init(), on: &terminal)
        return terminal
    }

    @Test func gCyclesPredictedTrueAndOff() {
        var s = state
        #expect(s.action(for: .character("g")) == .cycleSaliency)
        _ = s.reduce(.cycleSaliency)
        #expect(s.saliencyTarget == .predicted)
        #expect(s.notice?.text == "showing where the net looks for the predicted class (g: next)")
        _ = s.reduce(.cycleSaliency)
        #expect(s.saliencyTarget == .trueClass)
        _ = s.reduce(.cycleSaliency)
        #expect(s.saliencyTarget == nil && s.notice?.text == "saliency overlay off")
    }

    @Test func theGridAsksOnceForEverySampleAndAgainAfterANewEvaluation() {
        var s = state
        #expect(s.saliencyRequests().isEmpty)
        _ = s.reduce(.cycleSaliency)
        let request = SaliencyRequest(split: .test, indices: [0, 1, 2, 3, 4, 5], target: .predicted)
        #expect(s.saliencyRequests() == [.explain(request)])
        #expect(s.saliencyRequests().isEmpty)
        s.apply(.saliency(SampleRun.saliency(request, step: 200)))
        #expect(s.saliencyOverlay(for: s.run.evaluation!.samples[3])?.map.index == 3)
        s.apply(.evaluation(SampleRun.evaluation(epoch: 3, step: 300)))
        #expect(s.saliencyOverlay(for: s.run.evaluation!.samples[3]) == nil)
        #expect(s.saliencyRequests() == [.explain(request)])
    }

    @Test func theBrowserAsksForTheShownImageAndTheNextFour() {
        var s = state
        _ = s.reduce(.openMisclassified)
        _ = s.reduce(.cycleSaliency)
        _ = s.reduce(.cycleSaliency)
        #expect(
            s.saliencyRequests() == [
                .explain(SaliencyRequest(split: .test, indices: [10, 11, 12, 13, 14], target: .trueClass))
            ])
        _ = s.reduce(.move(rows: 1, columns: 0))
        #expect(s.saliencyRequests().isEmpty)
    }

    @Test func anEndedRunIsNotAsked() {
        var s = state
        s.apply(.finished(FinalResult(step: 200, epoch: 2, seconds: 2, lastEvaluation: nil, checkpointPath: nil)))
        _ = s.reduce(.cycleSaliency)
        #expect(s.saliencyRequests().isEmpty)
        #expect(s.notice == Notice("the run has ended: nobody is left to compute where the net looks", isError: true))
    }

    @Test func theDashboardSendsTheRequestsAndDrawsTheAnswers() {
        let session = ScriptedSession(events: SampleRun.events())
        var terminal = MemoryTerminal(width: 80, height: 24)
        // Both keys come before the next frame, so the browser's images are the first asked for.
        terminal.pendingKeys = [.character("g"), .character("m")]
        var link = session.link
        // Long enough for a few frames: requests go out when a frame is drawn.
        let end = Date(timeIntervalSinceNow: 0.3)
        link.detached = { Date() > end }
        let final = Dashboard.run(terminal: &terminal, options: .init(framesPerSecond: 1000), link: link)
        #expect(
            session.received.contains(
                .explain(SaliencyRequest(split: .test, indices: Array(10..<15), target: .predicted))))
        #expect(final.saliencyOverlay(for: final.browsedImage!) != nil)
        #expect(terminal.lines.contains { $0.contains("Grad-CAM of conv2, predicted class T-shirt/top") })
    }

    @Test func theGridTitleNamesTheMethodAndTheHeatColoursTheThumbnails() {
        var s = state
        _ = s.reduce(.cycleSaliency)
        // The titles need more than the grid's 36 columns at 80x24.
        let plain = draw(s, width: 160, height: 50)
        let title = plain.lines.firstIndex { $0.contains("Sample predictions") }!
        #expect(plain.lines[title].contains("Sample predictions (epoch 2, asking where it looks…)"))
        for case .explain(let request) in s.saliencyRequests() {
            s.apply(.saliency(SampleRun.saliency(request, step: 200)))
        }
        let overlaid = draw(s, width: 160, height: 50)
        #expect(
            overlaid.lines[title].contains("Sample predictions (epoch 2, Grad-CAM of conv2 for the predicted class)"))
        // The first thumbnail's top-left cell: the black image under the hottest colour, half and half.
        let row = overlaid.lines[title + 1]
        let x = row.distance(from: row.startIndex, to: row.firstIndex(of: "▀")!)
        #expect(plain.screen[x, title + 1].style.foreground == .rgb(0, 0, 0))
        #expect(overlaid.screen[x, title + 1].style.foreground == .rgb(115, 0, 0))
    }

    @Test func withoutColourTheMapReplacesTheImageOnTheRamp() {
        var s = state
        _ = s.reduce(.openMisclassified)
        _ = s.reduce(.cycleSaliency)
        let before = draw(s, colorDepth: .monochrome).lines[4]
        for case .explain(let request) in s.saliencyRequests() {
            s.apply(.saliency(SampleRun.saliency(request, step: 200)))
        }
        let lines = draw(s, colorDepth: .monochrome).lines
        // The image is black left, white right; the map is the other way round.
        #expect(before.hasPrefix(" " + String(repeating: " ", count: 14) + String(repeating: "@", count: 14)))
        #expect(lines[4].hasPrefix(" " + String(repeating: "@", count: 14) + String(repeating: " ", count: 14)))
        let info = lines.joined(separator: "\n")
        #expect(info.contains("where it looks (g)"))
        #expect(info.contains("Grad-CAM of conv2, predicted class T-shirt/top"))
        #expect(info.contains("at step 200; predicted there: T-shirt/top"))
    }
}
