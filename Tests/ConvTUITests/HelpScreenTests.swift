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
        let lines = render(width: 80, height: 48)
        #expect(lines[0].hasPrefix("convtop keys"))
        #expect(lines[3] == "  space p pause or resume training" + String(repeating: " ", count: 46))
        #expect(listsEveryBinding(lines))
        #expect(lines.contains { $0.hasPrefix("L prompt: enter sets the rate") })
        #expect(lines.contains { $0.contains("u undoes up to 5 interventions, 512 MiB.") })
    }

    @Test func twoColumnsAtTheMinimumSize() {
        // The help's body at 80x24: the status, notice and footer rows leave 20.
        let lines = render(width: 78, height: 20)
        #expect(lines[2].hasPrefix("Everywhere                              Misclassified browser (m)"))
        #expect(listsEveryBinding(lines))
    }

    @Test func theNotesFollowTheLongerColumn() {
        // The second column ends with the model screen's section at row 19.
        let lines = render(width: 78, height: 24)
        #expect(listsEveryBinding(lines))
        #expect(lines[20].hasPrefix("+ - L scale the rest of the schedule"))
        #expect(lines[22].hasPrefix("L prompt: enter sets the rate"))
    }

    @Test func explainsThatARateChangeScalesTheSchedule() {
        let text = render(width: 78, height: 24).joined(separator: " ")
        #expect(text.contains("scale the rest of the schedule") && text.contains("one-cycle"))
    }
}
