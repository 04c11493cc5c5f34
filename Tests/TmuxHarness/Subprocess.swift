import Foundation

/// A command run to its end with its output (standard output and error together) in a file: the
/// harness's tmux commands, and the soak's trainer start and one-shot commands. posix_spawn and
/// waitpid rather than Process, whose exit monitoring missed tmux clients here.
public enum Subprocess {
    public struct Result: Sendable {
        /// The exit status, 128 + the signal when a signal ended it, nil when it ran out of time
        /// (it was then killed).
        public var status: Int32?
        public var output: String
        public var seconds: Double
    }

    /// The program could not be started.
    public struct SpawnFailed: Error, CustomStringConvertible {
        public var program: String
        public var reason: String
        public var description: String { "\(program): cannot be run: \(reason)" }
    }

    /// Runs `arguments` (program first, looked up in PATH), for at most `timeout` seconds when
    /// one is given.
    public static func run(_ arguments: [String], timeout: Double? = nil) throws -> Result {
        // A file rather than a pipe: a tmux server started by the command, or the trainer that
        // `train --detach` leaves, keeps the inherited descriptor open, so a pipe would never end.
        let outputPath = NSTemporaryDirectory() + "convtop-run-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for p in cArguments { free(p) } }
        let clock = ContinuousClock()
        let start = clock.now
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw SpawnFailed(program: arguments[0], reason: String(cString: strerror(spawned))) }
        var status: Int32 = 0
        if let timeout {
            while waitpid(pid, &status, WNOHANG) != pid {
                if clock.now - start > .seconds(timeout) {
                    kill(pid, SIGKILL)
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                    return Result(status: nil, output: read(outputPath), seconds: timeout)
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
        } else {
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        let elapsed = clock.now - start
        // WEXITSTATUS and WTERMSIG, which Swift does not import: the exit code sits in bits 8-15 of
        // a normal exit, the signal in bits 0-6.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(
            status: code, output: read(outputPath),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
