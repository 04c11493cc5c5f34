import ConvTUI
import Testing

@Suite struct HelpScreenTests {
    private func render(width: Int, height: Int, scroll: Int = 0) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        HelpScreen(theme: .color, scroll: scroll).render(area: buffer.area, buffer: &buffer)
        return buffer.lines
    }

    /// Whether every binding of the key table is on screen with its full description.
    private func listsEveryBinding(_ lines: [String]) -> Bool {
        KeyTable.bindings.allSatisfy { binding in
            lines.contains { $0.contains("  " + binding.label + " ") && $0.contains(binding.description) }
        }
    }

    /// The rows of the help at `width` x `height`, scrolled from the top to the end a screenful at a time.
    private func scrolledThrough(width: Int, height: Int) -> [String] {
        var rows: [String] = []
        for scroll in stride(from: 0, to: 200, by: max(1, height - 3)) {
            rows += render(width: width, height: height, scroll: scroll)
        }
        return rows
    }

    @Test func oneColumnWhenItFits() {
        let lines = render(width: 80, height: 80)
        #expect(lines[0].hasPrefix("convtop keys"))
        #expect(lines[3] == "  space p pause or resume training" + String(repeating: " ", count: 46))
        #expect(listsEveryBinding(lines))
        #expect(lines.contains { $0.hasPrefix("L prompt: enter sets the rate") })
        #expect(lines.contains { $0.contains("u undoes up to 5 interventions, 512 MiB.") })
        #expect(!lines.contains { $0.contains("scroll: rows") })
    }

    @Test func twoColumnsScrollAtTheMinimumSize() {
        // The help's body at 80x24: the status, notice and footer rows leave 20.
        let top = render(width: 78, height: 20)
        #expect(top[2].hasPrefix("Everywhere                              Help"))
        #expect(top[19].hasPrefix("↑↓ j k scroll: rows 1-17 of "))
        #expect(!listsEveryBinding(top))
        let all = scrolledThrough(width: 78, height: 20)
        #expect(listsEveryBinding(all))
        #expect(all.contains { $0.hasPrefix("L prompt: enter sets the rate") })
    }

    @Test func scrollingStopsAtTheLastScreenful() {
        let end = render(width: 78, height: 20, scroll: 1_000)
        #expect(end == render(width: 78, height: 20, scroll: 500))
        #expect(end.contains { $0.contains("u undoes up to 5 interventions, 512 MiB.") })
        #expect(end[19].contains(" of "))
    }

    @Test func explainsThatARateChangeScalesTheSchedule() {
        let text = scrolledThrough(width: 78, height: 24).joined(separator: " ")
        #expect(text.contains("scale the rest of the schedule") && text.contains("one-cycle"))
    }
}
