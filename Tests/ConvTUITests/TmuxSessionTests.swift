import Foundation
import Testing
import TmuxHarness

@Suite(.enabled(if: TmuxSession.isAvailable, "tmux is not installed"), .serialized)
struct TmuxSessionTests {
    @Test func typesWaitsForTextAndReadsTheExitStatus() throws {
        let session = try TmuxSession(["/bin/sh", "-c", "echo ready; read line; echo \"got $line\"; exit 3"])
        try session.wait(for: "ready")
        try session.type("hello world")
        try session.send("Enter")
        let screen = try session.wait(for: "got hello world")
        #expect(screen.count == 24)
        #expect(try session.waitForExit() == 3)
    }

    @Test func theWindowHasTheGivenSizeAndResizes() throws {
        let session = try TmuxSession(
            ["/bin/sh", "-c", "while :; do stty size; sleep 0.05; done"],
            width: 100, height: 30)
        try session.wait(for: "30 100")
        try session.resize(width: 120, height: 40)
        try session.wait(for: "40 120")
    }

    @Test func aMissingTextTimesOutWithTheScreen() throws {
        let session = try TmuxSession(["/bin/sh", "-c", "echo something else; sleep 5"])
        try session.wait(for: "something else")
        #expect(throws: TmuxSession.Timeout.self) { try session.wait(for: "never shown", timeout: 0.3) }
    }
}
