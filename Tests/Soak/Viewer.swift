import Foundation
import TmuxHarness

/// One `convtop attach` dashboard in a tmux session of its own, as the driver knows it.
final class Viewer {
    /// Counts the viewers of a soak from 1, for the key log and the report.
    let number: Int
    let session: TmuxSession
    private(set) var size: (width: Int, height: Int)
    /// The viewer started the range test on screen while the run was training, so that leaving the
    /// test from here resumes the run.
    var resumesAfterRangeTest = false

    static let minimumSize = (width: 80, height: 24)

    init(number: Int, command: [String], size: (width: Int, height: Int)) throws {
        self.number = number
        self.size = size
        session = try TmuxSession(command, width: size.width, height: size.height, namePrefix: "soak-")
    }

    var isTooSmall: Bool { size.width < Self.minimumSize.width || size.height < Self.minimumSize.height }

    func capture() -> CapturedScreen { CapturedScreen((try? session.screen()) ?? []) }

    func resize(to size: (width: Int, height: Int)) {
        try? session.resize(width: size.width, height: size.height)
        self.size = size
    }

    /// Sends keys as tmux names them.
    func send(_ keys: [String]) {
        for key in keys { try? session.send(key) }
    }

    func type(_ text: String) { try? session.type(text) }

    /// Whether the program still runs.
    var isRunning: Bool { session.exitStatus == nil }
}
