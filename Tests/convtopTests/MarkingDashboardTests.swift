import Foundation
import Testing
import TmuxHarness

/// `x` in the browser and `n` on the confusion screen, on the real binary in tmux (see
/// `DashboardViewerTests` for what it needs).
@Suite(.enabled(if: FashionRun.canRun, "needs tmux, Fashion-MNIST and the release convtop binary"), .serialized)
struct MarkingDashboardTests {
    typealias Run = FashionRun

    @Test func xMarksAndUnmarksAndNWalksTheMostConfusedList() throws {
        try Run.inDashboard { session, folder in
            try Run.evaluate(in: session)

            try session.send("m")
            try session.wait(for: "Misclassified test images")
            try session.send("x")
            try session.wait(for: "Mark test image #")
            try session.send("Tab")
            try session.wait(for: "[drop]")
            try session.type("blurry, \"dark\"")
            try session.send("Enter")
            var screen = try session.wait(for: "in marks.csv (x unmarks)")
            #expect(Run.shows("marked:    drop · blurry, \"dark\"", screen), "\(screen.joined(separator: "\n"))")
            let marks = try String(contentsOfFile: folder + "/marks.csv", encoding: .utf8)
            #expect(marks.hasPrefix("file,split,index,true_label,predicted_label,kind,note\n"))
            #expect(marks.contains(",drop,\"blurry, \"\"dark\"\"\"\n"), "\(marks)")

            try session.send("x")
            screen = try session.wait(for: "(x marks it again)")
            #expect(!Run.shows("marked:", screen))
            #expect(
                try String(contentsOfFile: folder + "/marks.csv", encoding: .utf8).split(separator: "\n").count == 1)

            try session.send("Escape")
            try session.send("c")
            try session.wait(for: "Most confused")
            try session.send("n")
            try session.send("Enter")
            try session.wait(for: "the most-confused cell's images") { s in
                Run.shows("Misclassified test images 1/", s) && s.contains { $0.contains("(true ") }
            }

            try session.send("q")
            try session.wait(for: "[y/N]")
            try session.send("y")
            #expect(try session.waitForExit(timeout: 30) == 0)
            let journal = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
            #expect(journal.contains("\"type\":\"image_marked\"") && journal.contains("\"type\":\"image_unmarked\""))
        }
    }
}
