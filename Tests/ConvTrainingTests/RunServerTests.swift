import ConvProtocol
import Foundation
import Testing

@testable import ConvTraining

/// A raw client of a run's socket, reading its lines on the test's thread.
struct RawClient {
    let descriptor: Int32

    init(_ path: String) throws {
        descriptor = try UnixSocket.connect(to: path)
        UnixSocket.setReceiveTimeout(descriptor, seconds: 10)
    }

    func send(_ text: String) -> Bool {
        UnixSocket.writeAll(descriptor, Array(text.utf8))
    }

    /// Lines until `count` were read or the connection closed; the `live` notice that ends the
    /// history is left out unless asked for.
    func lines(_ count: Int, keepingLive: Bool = false) -> [String] {
        var framer = LineFramer(maximumLineBytes: LineFormat.maximumLineBytes)
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while lines.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            lines +=
                ((try? buffer.withUnsafeBytes { try framer.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }) ?? [])
                .map(String.init)
                .filter { keepingLive || (try? ConnectionNotice(jsonLine: Substring($0)))?.kind != .live }
        }
        return lines
    }

    /// Whether the server closed the connection (a read returns end of file, not a timeout).
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(descriptor, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    func close() {
        Foundation.close(descriptor)
    }
}

/// A run's server in a fresh folder, with the commands it received.
final class ServedRun: Sendable {
    let folder: RunFolder
    let server: RunServer
    let channel = TrainingChannel()

    init(limits: RunServer.Limits = RunServer.Limits()) throws {
        folder = RunFolder(url: temporaryFolder())
        let channel = channel
        server = try RunServer(folder: folder, limits: limits, onCommand: { channel.send($0) })
    }

    var socket: String { folder.socketFile.path }

    func waitForViewers(_ count: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: 10)
        while server.viewerCount != count && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return server.viewerCount == count
    }

    deinit {
        server.close(grace: 0)
        try? FileManager.default.removeItem(at: folder.url)
    }
}

func step(_ n: Int, of perEpoch: Int = 100) -> TrainingEvent {
    .step(
        StepMetrics(
            epoch: 1 + (n - 1) / perEpoch, step: n, stepInEpoch: (n - 1) % perEpoch + 1, stepsPerEpoch: perEpoch,
            smoothedLoss: 2 / Float(n), smoothedAccuracy: 0.5, learningRate: 0.1, imagesPerSecond: 900,
            elapsed: Double(n)))
}

func evaluation(step: Int, accuracy: Float) -> Evaluation {
    let image = SampleImage(shape: ImageShape(channels: 1, height: 2, width: 2), pixels: [1, 2, 3, UInt8(step % 256)])
    let prediction = Prediction(
        index: 0, trueLabel: 0, predictedLabel: 1,
        top: [ClassProbability(label: 1, probability: 0.75)], loss: 1.5, image: image)
    return Evaluation(
        split: .test, epoch: 1, step: step, loss: 0.5, accuracy: accuracy,
        confusion: ConfusionMatrix(counts: [[1, 1], [0, 2]]), samples: [prediction], misclassified: [prediction])
}

@Suite struct RunServerTests {
    @Test func theFolderIsTheOwnersAloneTheSocketTooAndThePidIsWritten() throws {
        let run = try ServedRun()
        func mode(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
        }
        #expect(mode(run.folder.url.path) == 0o700)
        #expect(mode(run.socket) == 0o600)
        #expect(try String(contentsOf: run.folder.pidFile, encoding: .utf8) == "\(getpid())\n")
        run.server.close()
        #expect(!FileManager.default.fileExists(atPath: run.socket))
        #expect(!FileManager.default.fileExists(atPath: run.folder.pidFile.path))
    }

    @Test func twoViewersReceiveTheSameLiveEvents() throws {
        let run = try ServedRun()
        let first = try RawClient(run.socket), second = try RawClient(run.socket)
        defer { first.close(); second.close() }
        #expect(run.waitForViewers(2))
        let events: [TrainingEvent] = [
            .paused(step: 3, reason: nil), .resumed(step: 3),
            .learningRateChanged(old: 0.1, new: 0.05, step: 4),
        ]
        for event in events { run.server.publish(event, at: 1000) }
        let expected = events.map { MetricsRecord(time: 1000, step: $0.step!, event: $0).jsonLine() }
        #expect(first.lines(3) == expected)
        #expect(second.lines(3) == expected)
    }

    @Test func aLateViewerGetsTheThinnedHistoryAndOnlyTheLastEvaluationsImages() throws {
        let run = try ServedRun()
        // Ten steps a second for two seconds: the history keeps one every half second and the latest.
        for n in 1...20 { run.server.publish(step(n), at: 100 + Double(n) / 10) }
        run.server.publish(.evaluation(evaluation(step: 20, accuracy: 0.5)), at: 102.05)
        run.server.publish(.evaluation(evaluation(step: 20, accuracy: 0.75)), at: 102.1)
        run.server.publish(step(21), at: 102.15)
        let client = try RawClient(run.socket)
        defer { client.close() }
        let lines = client.lines(9, keepingLive: true)
        #expect(try ConnectionNotice(jsonLine: Substring(lines.last ?? "")).kind == .live)
        let records = try lines.dropLast().map { try MetricsRecord(jsonLine: Substring($0)) }
        #expect(records.compactMap(\.event.step) == [1, 6, 11, 16, 20, 20, 20, 21])
        guard case .evaluation(let old) = records[5].event, case .evaluation(let last) = records[6].event else {
            Issue.record("no evaluations in \(records.map(\.event.journalType))")
            return
        }
        #expect(old.accuracy == 0.5 && old.samples.isEmpty && old.misclassified.isEmpty)
        #expect(last == evaluation(step: 20, accuracy: 0.75))
        run.server.publish(.resumed(step: 21), at: 103)
        #expect(client.lines(1) == [MetricsRecord(time: 103, step: 21, event: .resumed(step: 21)).jsonLine()])
    }

    /// Steps reach a viewer at most one per `stepPace`, always the latest; other events at once,
    /// in order, with the step before them.
    @Test func aViewerGetsTheLatestStepAtAPaceAndEveryOtherEventAtOnce() throws {
        let run = try ServedRun()
        let client = try RawClient(run.socket)
        defer { client.close() }
        #expect(run.waitForViewers(1))
        _ = client.lines(0, keepingLive: true)
        let start = Date()
        for n in 1...200 {
            run.server.publish(step(n), at: 1000)
            Thread.sleep(forTimeInterval: 0.001)
        }
        run.server.publish(.paused(step: 200, reason: nil), at: 1000)
        let seconds = Date().timeIntervalSince(start)
        var records: [MetricsRecord] = []
        while records.last.map({ if case .paused = $0.event { false } else { true } }) ?? true {
            let lines = client.lines(1)
            if lines.isEmpty { break }
            records += try lines.map { try MetricsRecord(jsonLine: Substring($0)) }
        }
        let steps = records.compactMap { if case .step(let m) = $0.event { m.step } else { nil } }
        #expect(steps.count >= 2 && steps.count <= Int(seconds / 0.05) + 2, "\(steps.count) steps in \(seconds) s")
        #expect(steps == steps.sorted() && steps.last == 200)
        #expect(records.last?.event == .paused(step: 200, reason: nil))
    }

    @Test func commandsFromTheSocketReachTheChannel() throws {
        let run = try ServedRun()
        let client = try RawClient(run.socket)
        defer { client.close() }
        #expect(client.send("{\"v\":1,\"type\":\"pause\"}\n\(TrainingCommand.setLearningRate(0.02).jsonLine())\n"))
        var received: [TrainingCommand] = []
        let deadline = Date(timeIntervalSinceNow: 10)
        while received.count < 2 && Date() < deadline {
            if let command = run.channel.nextCommand() {
                received.append(command)
            } else {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        #expect(received == [.pause, .setLearningRate(0.02)])
    }

    @Test(arguments: ["hello\n", "{\"v\":1,\"type\":\"explode\"}\n", "{\"v\":2,\"type\":\"pause\"}\n"])
    func aLineThatIsNotACommandGetsAnErrorAndTheConnectionCloses(_ garbage: String) throws {
        let run = try ServedRun()
        let client = try RawClient(run.socket)
        defer { client.close() }
        #expect(client.send(garbage + "{\"type\":\"stop\"}\n"))
        let reply = client.lines(1)
        let notice = try #require(reply.first.flatMap { try? ConnectionNotice(jsonLine: Substring($0)) })
        #expect(notice.kind == .error && !notice.message.isEmpty)
        #expect(client.isClosedByServer())
        #expect(run.channel.nextCommand() == nil)
        // The server still serves others.
        let next = try RawClient(run.socket)
        defer { next.close() }
        #expect(next.send("{\"type\":\"resume\"}\n"))
        #expect(run.waitForViewers(1))
    }

    @Test(arguments: [2 << 20, 100 << 20])
    func anOversizedLineGetsAnErrorAndTheConnectionCloses(_ bytes: Int) throws {
        let run = try ServedRun()
        let client = try RawClient(run.socket)
        defer { client.close() }
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: bytes) + [UInt8(ascii: "\n")]
        // The server stops reading at its bound, so the sending side gets a broken pipe part way.
        let sender = Thread { _ = UnixSocket.writeAll(client.descriptor, line) }
        sender.start()
        let notice = try #require(client.lines(1).first.flatMap { try? ConnectionNotice(jsonLine: Substring($0)) })
        #expect(notice.kind == .error)
        #expect(notice.message.contains("\(RunServer.Limits().commandBytes)"))
        #expect(client.isClosedByServer())
        // The run goes on serving: a viewer that comes next gets what was published since.
        run.server.publish(.resumed(step: 7), at: 50)
        let next = try RawClient(run.socket)
        defer { next.close() }
        #expect(next.lines(1) == [MetricsRecord(time: 50, step: 7, event: .resumed(step: 7)).jsonLine()])
    }

    @Test func aViewerThatNeverReadsCostsPublishingNothingAndIsDropped() throws {
        var limits = RunServer.Limits()
        limits.queuedEvents = 16
        limits.sendTimeout = 1
        let run = try ServedRun(limits: limits)
        let client = try RawClient(run.socket)
        defer { client.close() }
        #expect(run.waitForViewers(1))
        let warning = String(repeating: "w", count: 100_000)
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for n in 1...400 {
            let start = clock.now
            run.server.publish(n % 2 == 0 ? .warning(warning) : step(n))
            slowest = max(slowest, clock.now - start)
        }
        #expect(slowest < .milliseconds(100), "a publish took \(slowest)")
        #expect(run.waitForViewers(0))
        #expect(run.server.droppedViewers.first?.contains("reads too slowly") == true)
    }

    @Test func aConnectionFromAnotherUserIsRefused() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
        else { return }
        let run = try ServedRun()
        // Another user cannot even reach the socket through the folder.
        #expect(runAsNobody(connectingTo: run.socket).hasPrefix("PermissionError"))
        // With the folder and socket opened up by mistake, the peer's credentials still refuse it.
        chmod(run.folder.url.path, 0o755)
        chmod(run.socket, 0o666)
        let reply = runAsNobody(connectingTo: run.socket)
        let notice = try #require(try? ConnectionNotice(jsonLine: Substring(reply)), "the client read: \(reply)")
        #expect(notice.kind == .error && notice.message.contains("another user"))
        #expect(run.channel.nextCommand() == nil)
    }

    /// What a client running as `nobody` reads after sending `pause`, or the name of its error.
    private func runAsNobody(connectingTo socket: String) -> String {
        let script = """
            import socket, sys
            try:
                s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
                try:
                    s.sendall(b'{"type":"pause"}\\n')
                except BrokenPipeError:
                    pass
                print(s.makefile().readline().strip())
            except Exception as e:
                print(type(e).__name__)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", script, socket,
        ]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return "" }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aStaleSocketIsReplacedAndALiveOneRefused() throws {
        let run = try ServedRun()
        #expect(throws: RunSocketError.self) { try RunServer(folder: run.folder, onCommand: { _ in }) }
        run.server.close()
        // A socket file nobody listens on, as a killed run leaves it.
        let stale = try UnixSocket.listen(at: run.socket)
        close(stale)
        let next = try RunServer(folder: run.folder, onCommand: { _ in })
        next.close()
    }

    /// A run whose folder was deleted and taken by another run leaves the other's files when it ends.
    @Test func aRunEndingAfterItsFolderWasReusedLeavesTheNewRunsSocketAndPid() throws {
        let first = try ServedRun()
        try FileManager.default.removeItem(at: first.folder.url)
        try FileManager.default.createDirectory(at: first.folder.url, withIntermediateDirectories: true)
        let second = try RunServer(folder: first.folder, onCommand: { _ in })
        first.server.close()
        #expect(FileManager.default.fileExists(atPath: first.socket))
        #expect(FileManager.default.fileExists(atPath: first.folder.pidFile.path))
        let client = try RawClient(first.socket)
        client.close()
        second.close()
        #expect(!FileManager.default.fileExists(atPath: first.socket))
        #expect(!FileManager.default.fileExists(atPath: first.folder.pidFile.path))
    }
}

@Suite struct RunServerSessionTests {
    @Test func aPauseSentOverTheSocketPausesTheWorkerAndEveryViewerSeesIt() throws {
        let folder = RunFolder(url: temporaryFolder())
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let session = TrainingSessionTests.session(TrainingSessionTests.configuration(), folder: folder.url)
        let channel = session.channel
        let server = try RunServer(folder: folder, onCommand: { channel.send($0) })
        channel.observe { server.publish($0) }
        var log = EventLog(channel: channel)
        session.start()
        log.wait(for: "a few steps") { $0.step ?? 0 >= 3 }
        let steering = try RunConnection(socketPath: folder.socketFile.path)
        let watching = try RunConnection(socketPath: folder.socketFile.path)
        var steered = EventLog(connection: steering), watched = EventLog(connection: watching)
        #expect(steering.send(.pause))
        #expect(steered.wait(for: "paused") { $0.journalType == "paused" } != nil)
        #expect(watched.wait(for: "paused") { $0.journalType == "paused" } != nil)
        #expect(log.wait(for: "paused") { $0.journalType == "paused" } != nil)
        // Each viewer first got the run's start, then its steps in order.
        #expect(steered.events.first?.journalType == "started" && watched.events.first?.journalType == "started")
        let steps = watched.events.compactMap { if case .step(let m) = $0 { m.step } else { nil } }
        #expect(steps == steps.sorted() && !steps.isEmpty)

        #expect(steering.send(.stop))
        _ = log.waitForEnd()
        session.wait()
        server.close()
        #expect(watched.wait(for: "finished") { $0.journalType == "finished" } != nil)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(watching.isClosed && watching.closedBecause == "the run closed the connection")
    }
}
