import ConvTraining
import ConvTUI
import Foundation
import Testing

@Suite struct DashboardViewTests {
    @Test func printMain() throws {
        var out = ""
        for (w, h) in [(80, 24), (160, 50)] {
            var terminal = MemoryTerminal(width: w, height: h)
            var s = SampleRun.state().state
            Dashboard.draw(s, options: .init(), on: &terminal)
            out += terminal.lines.joined(separator: "\n") + "\n\n"
            _ = s.reduce(.openMisclassified)
            Dashboard.draw(s, options: .init(), on: &terminal)
            out += terminal.lines.joined(separator: "\n") + "\n\n"
            _ = s.reduce(.openConfusion)
            Dashboard.draw(s, options: .init(), on: &terminal)
            out += terminal.lines.joined(separator: "\n") + "\n\n"
            _ = s.reduce(.toggleHelp)
            Dashboard.draw(s, options: .init(), on: &terminal)
            out += terminal.lines.joined(separator: "\n") + "\n\n"
        }
        try out.write(toFile: "/tmp/tui-frames.txt", atomically: true, encoding: .utf8)
    }
}
