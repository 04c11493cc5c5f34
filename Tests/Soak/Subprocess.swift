import Foundation

/// A command run to its end, its output (standard output and error together) in a file: the
/// detached trainer's start and the one-shot commands.
enum Subprocess {
    struct Result {
        /// The exit status, 128 + the signal when a signal ended it, nil when it ran out of time
        /// (it was then killed).
        var status: Int32?
        var output: String
        var seconds: Double
    }

    /// Runs `arguments` (program first) for at most `timeout` seconds.
    static func run(_ arguments: [String], timeout: Double) throws -> Result {
        // A file rather than a pipe: `train --detach` leaves a trainer that must not hold our pipe.
        let outputPath = NSTemporaryDirectory() + "convtop-soak-\(UUID().uuidString).out"
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
        guard spawned == 0 else {
            throw SoakError("\(arguments[0]): cannot be run: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var exited = false
        while !exited {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                exited = true
            } else if result == -1 && errno != EINTR {
                break
            } else if clock.now - start > .seconds(timeout) {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                return Result(status: nil, output: Self.read(outputPath), seconds: timeout)
            } else {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        let elapsed = clock.now - start
        // WEXITSTATUS and WTERMSIG, which Swift does not import.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(
            status: exited ? code : nil, output: Self.read(outputPath),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}

/// Something that stops the soak before it can judge the product (a missing file, a run that never
/// started), with a message naming it.
struct SoakError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
