import ConvProtocol
import ConvTUI
import Testing

@Suite struct DashboardViewTests {
    private func draw(
        _ state: DashboardState, width: Int, height: Int,
        capabilities: TerminalCapabilities = .init(colorDepth: .palette256),
        options: DashboardOptions = .init()
    ) -> MemoryTerminal {
        var terminal = MemoryTerminal(width: width, height: height, capabilities: capabilities)
        Dashboard.draw(state, options: options, on: &terminal)
        return terminal
    }

    private var state: DashboardState { SampleRun.state().state }

    @Test func mainScreenAt80x24HasEveryPanel() throws {
        let lines = draw(state, width: 80, height: 24).lines
        #expect(lines.count == 24)
        #expect(lines[0].hasPrefix(" RUNNING "))
        #expect(lines[1].hasPrefix("epoch 2/2  step 200/200 "))
        #expect(lines[2].hasPrefix("Loss  ━ train (smoothed)  ━ test  ▲ lr"))
        #expect(lines[2].contains("Accuracy  ━ train  ━ test"))
        let ticks = lines[10].split(separator: " ")
        let epochAt = try #require(ticks.firstIndex(of: "epoch"))
        #expect(ticks.first == "step" && ticks[1..<epochAt].contains("200"), "\(lines[10])")
        #expect(ticks.last == "2.0" || ticks.last == "2", "\(lines[10])")
        #expect(lines[11].hasPrefix("Per-class accuracy (test, 88.0%)"))
        #expect(lines[11].contains("Sample predictions (epoch 2)"))
        for (i, name) in SampleRun.classNames.enumerated() { #expect(lines[12 + i].hasPrefix(name)) }
        // 8x4-cell thumbnails, two rows of four: the first row's labels under its four rows.
        #expect(lines[16].contains("✓ T-shi… ✓ Trous… ✓ Pullo… ✓ Dress"), "\(lines[16])")
        #expect(lines[21].contains("✗ Shirt  ✓ Sandal"), "\(lines[21])")
        #expect(lines[22] == "learning rate 0.01 → 0.005" + String(repeating: " ", count: 54))
        #expect(lines[23].hasPrefix("space p pause  + lr×2  - lr÷2  L set lr  s save  e eval  m errors  c confusion"))
    }

    @Test func largerTerminalsGetLargerChartsAndThumbnails() {
        let small = draw(state, width: 80, height: 24).lines
        let large = draw(state, width: 160, height: 50).lines
        let plotRows = { (lines: [String]) in
            lines.filter { $0.dropFirst(5).hasPrefix("┤") || $0.dropFirst(5).hasPrefix("│") }.count
        }
        #expect(plotRows(large) > 2 * plotRows(small))
        // All six samples fit in two rows up to 20x10 cells: their labels sit 11 rows under the title.
        let title = large.firstIndex { $0.hasPrefix("Per-class accuracy") }!
        #expect(
            large[title + 11].contains("✓ T-shirt/top        ✓ Trouser            ✓ Pullover"), "\(large[title + 11])")
        #expect(large[49].hasPrefix("space p pause"))
    }

    @Test func theSampleGridUsesItsSpace() {
        // A session reports 32 sample predictions; each thumbnail shown has a ✓ or ✗ label.
        let state = SampleRun.state(SampleRun.events(sampleCount: 32)).state
        func thumbnails(_ width: Int, _ height: Int) -> Int {
            draw(state, width: width, height: height).lines.map { line in
                line.filter { $0 == "✓" || $0 == "✗" }.count
            }.reduce(0, +)
        }
        let (small, medium, large) = (thumbnails(80, 24), thumbnails(100, 30), thumbnails(160, 50))
        #expect(small >= 6, "80x24 shows \(small)")
        #expect(medium >= 10, "100x30 shows \(medium)")
        #expect(large > medium, "160x50 shows \(large), 100x30 \(medium)")
    }

    @Test func thumbnailsFallBackToAsciiWithoutColour() {
        let mono = draw(state, width: 80, height: 24, capabilities: .init(colorDepth: .monochrome))
        #expect(mono.lines[12].hasSuffix("    @@@@     @@@@     @@@@     @@@@   "))
        let forced = draw(state, width: 80, height: 24, options: .init(thumbnails: .ascii))
        #expect(forced.lines[12] == mono.lines[12])
        let color = draw(state, width: 80, height: 24)
        #expect(color.lines[12].hasSuffix("▀▀▀▀▀▀▀▀ ▀▀▀▀▀▀▀▀ ▀▀▀▀▀▀▀▀ ▀▀▀▀▀▀▀▀   "))
        #expect(color.screen[49, 12].style == Style(foreground: .gray(255), background: .gray(255)))
        #expect(mono.screen.cells.allSatisfy { $0.style.foreground == .reset && $0.style.background == .reset })
    }

    @Test func tooSmallTerminalGetsACentredMessage() {
        let lines = draw(state, width: 60, height: 20).lines
        let centred = { (s: String) in
            let left = (60 - s.count) / 2
            return String(repeating: " ", count: left) + s + String(repeating: " ", count: 60 - left - s.count)
        }
        #expect(lines[8] == centred("Terminal too small: 60x20"))
        #expect(lines[9] == centred("convtop needs at least 80x24."))
        #expect(lines[10] == centred("Enlarge the window; training goes on."))
        #expect(lines.enumerated().allSatisfy { (8...10).contains($0.offset) || $0.element.allSatisfy { $0 == " " } })
    }

    @Test func resizeRelaysOut() {
        var terminal = MemoryTerminal(width: 80, height: 24)
        Dashboard.draw(state, options: .init(), on: &terminal)
        terminal.resize(width: 100, height: 30)
        Dashboard.draw(state, options: .init(), on: &terminal)
        #expect(terminal.lines.count == 30 && terminal.lines[0].count == 100)
        #expect(terminal.lines[29].hasPrefix("space p pause"))
    }

    @Test func promptAndConfirmationLine() {
        var s = state
        _ = s.reduce(.openLearningRatePrompt)
        _ = s.reduce(.type("0")); _ = s.reduce(.type("."))
        #expect(draw(s, width: 80, height: 24).lines[22].hasPrefix("New learning rate: 0.█  (enter sets, esc cancels)"))
        _ = s.reduce(.type("x")); _ = s.reduce(.submit)
        #expect(
            draw(s, width: 80, height: 24).lines[22]
                .hasPrefix("New learning rate: 0.x█  not a learning rate: \"0.x\""))
        _ = s.reduce(.back); _ = s.reduce(.quit)
        #expect(
            draw(s, width: 80, height: 24).lines[22]
                .hasPrefix("Stop training and quit? A checkpoint is saved first. [y/N]"))
    }

    @Test func misclassifiedBrowserShowsTheImageAndItsLabels() {
        var s = state
        _ = s.reduce(.openMisclassified)
        let lines = draw(s, width: 80, height: 24).lines
        #expect(lines[2].hasPrefix(" Misclassified test images 1/5, highest loss first (all classes)"))
        #expect(lines[4].hasSuffix("test image #10" + String(repeating: " ", count: 35)))
        #expect(lines[5].contains("true:      Shirt"))
        #expect(lines[6].contains("predicted: T-shirt/top"))
        #expect(lines[9].contains("top 3"))
        #expect(lines[10].contains("T-shirt/top ████████████████▊░░░░░░░░░░░   60.0%"))
        #expect(lines[23].hasPrefix("↑ k prev  ↓ j next  PgUp PgDn page  f filter  x mark  ? h help  q quit"))
        // 28x28 enlarged to 28x14 cells (one pixel per column, two per row) in a 34-column space.
        #expect(lines[4].hasPrefix(" " + String(repeating: "▀", count: 28) + "  "))
    }

    @Test func confusionScreen() {
        var s = state
        _ = s.reduce(.openConfusion)
        _ = s.reduce(.move(rows: 6, columns: 0))
        let lines = draw(s, width: 80, height: 24).lines
        #expect(lines[2].hasPrefix(" Confusion matrix (test, epoch 2, step 200)"))
        #expect(lines[12].hasPrefix(" Shirt          30     0     0     0     0     0    70     0     0     0 "))
        #expect(lines[17].hasPrefix(" true Shirt, predicted T-shirt/top: 30 images (enter to browse)"))
    }
}
