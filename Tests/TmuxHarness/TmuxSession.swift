import Foundation

/// A program running in a detached tmux session of a fixed size, for end-to-end tests of the
/// dashboard: send keys, read the screen as text, wait for text with a timeout, resize, and read
/// the exit status.
///
/// Sessions live on a private tmux server (`-L`), so tests never touch the user's tmux, and the
/// pane stays after the program exits so that its last screen can still be read.
public final class TmuxSession {
    /// Something the program did not do in time, with the screen at that moment.
    public struct Timeout: Error, CustomStringConvertible {
        public var waitingFor: String
        public var seconds: Double
        public var screen: [String]

        public var description: String {
            "timed out after \(seconds) s waiting for \(waitingFor); screen:\n" + screen.joined(separator: "\n")
        }
    }

    /// A tmux command that failed.
    public struct CommandFailed: Error, CustomStringConvertible {
        public var arguments: [String]
        public var status: Int32
        public var output: String
        public var description: String { "tmux \(arguments.joined(separator: " ")) exited \(status): \(output)" }
    }

    /// Whether tmux can be run here.
    public static var isAvailable: Bool {
        (try? run(["-V"], server: "convtop-tests-\(getpid())")) != nil
    }

    public let name: String
    /// Each session has a server of its own: with one shared server, a test whose last session
    /// ended could take the server down just as a parallel test was starting its session there.
    private let server: String
    private let statusFile: String

    /// Starts `command` (program and arguments) in a new `width` x `height` session, named
    /// `namePrefix` and a random number.
    public init(
        _ command: [String], width: Int = 80, height: Int = 24, environment: [String: String] = [:],
        directory: String? = nil, namePrefix: String = "s"
    ) throws {
        name = "\(namePrefix)\(UInt32.random(in: 0...UInt32.max))"
        server = "convtop-tests-\(getpid())-\(name)"
        statusFile = NSTemporaryDirectory() + "convtop-tmux-\(name).status"
        try? FileManager.default.removeItem(atPath: statusFile)
        // The shell records the program's exit status, which tmux itself does not report. Its trap
        // keeps it alive when a Ctrl-C sent to the program reaches it too; the program itself starts
        // with the default action, as trapped signals are reset for a child.
        let quoted = command.map(Self.shellQuoted).joined(separator: " ")
        let cd = directory.map { "cd \(Self.shellQuoted($0)) && " } ?? ""
        let script = "trap : INT; \(cd)\(quoted); echo $? > \(Self.shellQuoted(statusFile))"
        var arguments = ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height)]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments += ["/bin/sh", "-c", script, ";", "set-option", "-t", name, "remain-on-exit", "on"]
        try tmux(arguments)
    }

    deinit { kill() }

    /// Sends keys as tmux names them ("q", "Enter", "Escape", "Up", "PageDown", "C-c").
    public func send(_ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    /// Types text literally.
    public func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    /// The screen as lines of text.
    public func screen() throws -> [String] {
        // Every row ends in a newline, so the last piece is empty.
        Array(try tmux(["capture-pane", "-p", "-t", name]).components(separatedBy: "\n").dropLast())
    }

    /// Changes the window size, as a user resizing the terminal does.
    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// Polls the screen until `condition` holds and returns that screen.
    @discardableResult
    public func wait(
        for description: String, timeout: Double = 30, interval: Double = 0.05,
        until condition: ([String]) -> Bool
    ) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String] = []
        while true {
            last = try screen()
            if condition(last) { return last }
            if Date() >= deadline { throw Timeout(waitingFor: description, seconds: timeout, screen: last) }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// Polls the screen until it contains `text` and returns that screen.
    @discardableResult
    public func wait(for text: String, timeout: Double = 30) throws -> [String] {
        try wait(for: "\"\(text)\"", timeout: timeout) { $0.contains { $0.contains(text) } }
    }

    /// Waits for the program to exit and returns its exit status.
    public func waitForExit(timeout: Double = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            if Date() >= deadline {
                throw Timeout(waitingFor: "the program to exit", seconds: timeout, screen: (try? screen()) ?? [])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The program's exit status, or nil while it runs.
    public var exitStatus: Int32? {
        (try? String(contentsOfFile: statusFile, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The process id of the program: the child of the shell that runs it in the pane, nil once it
    /// has exited.
    public func programPID() throws -> Int32? {
        guard
            let shell = Int32(
                try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(
                    in: .whitespacesAndNewlines))
        else { return nil }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            // /proc/PID/stat: "PID (name) state PPID ...", and the name may hold spaces and parentheses.
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == shell { return pid }
        }
        return nil
    }

    /// Ends the session (and the program, if it still runs).
    public func kill() {
        // Killing the session hangs up its terminal as closing a window does; its server, private
        // to this session, then exits on its own.
        _ = try? tmux(["kill-session", "-t", name])
        try? FileManager.default.removeItem(atPath: statusFile)
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        try Self.run(arguments, server: server)
    }

    @discardableResult
    private static func run(_ arguments: [String], server: String) throws -> String {
        let result = try Subprocess.run(["tmux", "-L", server, "-f", "/dev/null"] + arguments)
        guard result.status == 0 else {
            throw CommandFailed(arguments: arguments, status: result.status ?? -1, output: result.output)
        }
        return result.output
    }

    private static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
