import Foundation
import Testing
import TmuxHarness

/// `g` and `w` on a real run in tmux: the session answers the overlay's saliency requests and
/// samples layer health for the screen.
@Suite(.enabled(if: FashionRun.canRun, "needs tmux, Fashion-MNIST and the release convtop binary"), .serialized)
struct InspectionKeysTests {
    typealias Run = FashionRun

    @Test func gOverlaysGradCAMAndWShowsLayerHealth() throws {
        try Run.inDashboard { session, folder in
            try Run.evaluate(in: session)
            try session.send("g")
            try session.wait(for: "the overlay's notice") {
                Run.shows("showing where the net looks for the predicted class", $0)
            }
            try session.send("m")
            var screen = try session.wait(for: "the browsed image's map", timeout: 30) {
                Run.shows("Misclassified", $0) && Run.shows("Grad-CAM of conv2", $0)
            }
            #expect(Run.shows("where it looks (g)", screen))
            try session.send("g")
            screen = try session.wait(for: "the true class's map", timeout: 30) {
                Run.shows("Grad-CAM of conv2, true", $0)
            }

            try session.send("w")
            screen = try session.wait(for: "the layer-health screen", timeout: 30) {
                Run.shows("Layer health at step", $0)
            }
            for layer in ["conv1", "conv2", "fc1", "fc2", "fc3", "relu1"] {
                #expect(Run.shows(layer, screen), "no \(layer) on:\n\(screen.joined(separator: "\n"))")
            }
            try session.send("Escape")
            try session.wait(for: "Per-class accuracy")
            try session.send("q")
            try session.wait(for: "[y/N]")
            try session.send("y")
            #expect(try session.waitForExit(timeout: 30) == 0)
            let journal = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
            for type in ["saliency", "layer_health"] {
                #expect(journal.contains("\"type\":\"\(type)\""), "metrics.jsonl has no \(type) record")
            }
        }
    }
}
