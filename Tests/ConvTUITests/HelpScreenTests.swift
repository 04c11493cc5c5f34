import ConvTUI
import Testing

@Suite struct HelpScreenTests {
    private func render(width: Int, height: Int) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        HelpScreen(theme: .color).render(area: buffer.area, buffer: &buffer)
        return buffer.lines
    }

    /// Whether every binding of the key table is on screen with its full description.
    private func listsEveryBinding(_ lines: [String]) -> Bool {
        KeyTable.bindings.allSatisfy { binding in
            lines.contains { $0.contains("  " + binding.label + " ") && $0.contains(binding.description) }
        }
    }

    @Test func oneColumnWhenItFits() {
        let lines = render(width: 80, height: 40)
        #expect(lines[0].hasPrefix("convtop keys"))
        #expect(lines[3] == "  space p pause or resume training" + String(repeating: " ", count: 46))
        #expect(listsEveryBinding(lines))
        #expect(lines.contains { $0.hasPrefix("L prompt: enter sets the rate") })
    }

    @Test func twoColumnsAtTheMinimumSize() {
        // The help's body at 80x24: the status, notice and footer rows leave 20.
        let lines = render(width: 78, height: 20)
        #expect(lines[2].hasPrefix("Everywhere                              Misclassified browser (m)"))
        #expect(listsEveryBinding(lines))
        // Fifteen global keys leave room for the first note only.
        #expect(lines[19].hasPrefix("+ - L scale the rest of the schedule"))
    }

    @Test func explainsThatARateChangeScalesTheSchedule() {
        let text = render(width: 80, height: 40).joined(separator: " ")
        #expect(text.contains("scale the rest of the schedule") && text.contains("one-cycle"))
    }
}
