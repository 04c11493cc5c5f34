import ConvEngine
import ConvTUI
import ConvTraining
import Foundation
import TmuxHarness

/// Drives a detached run from one to three `convtop attach` dashboards and one-shot commands: it
/// opens and closes viewers (detaching with `d`, with `q` answered "detach", with Ctrl-C, or killing
/// them with SIGKILL), resizes them, presses every key on every screen, and sends `convtop pause`,
/// `resume`, `lr` and `undo`, measuring how long each takes to show, until its time is up.
///
/// It acts one thing at a time and waits for each to show before the next, so that the order of its
/// interventions is the journal's. Before each key it reads the viewer's screen (the screen a
/// viewer shows is its own) and takes the run's state (paused, learning rate, what undo can undo)
/// from the journal; a change that does not show within `responseTimeout` is a miss, recorded with
/// the screen.
final class SoakDriver {
    typealias Page = CapturedScreen.Page

    let convtop: String
    let runFolder: RunFolder
    let classNames: [String]
    private(set) var run: RunState
    private(set) var viewers: [Viewer] = []

    private(set) var times = ResponseTimes()
    private(set) var sent: [Intervention.Sent] = []
    private(set) var keysPressed = 0
    private(set) var resizes = 0
    private(set) var viewersOpened = 0
    /// How many viewers each way ended: "d", "q d", "C-c", "SIGKILL".
    private(set) var closes: [String: Int] = [:]
    /// Viewers that ended when the driver did not end them.
    private(set) var viewerCrashes: [SoakReport.ViewerCrash] = []
    /// One-shot commands run, by name, and those that did not exit 0.
    private(set) var oneShots: [String: Int] = [:]
    private(set) var oneShotFailures: [String] = []
    private(set) var savesRequested = 0
    private(set) var evaluationsRequested = 0
    private var keyLog: FileHandle?
    private var random: RandomGenerator
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// The learning rates `+`, `-`, typed values and `convtop lr` keep to, so that the run never
    /// diverges (a non-finite loss would pause it on its own).
    static let learningRates = 1e-4...0.05
    static let responseTimeout = 30.0
    /// A range test of `--lr-find-steps` batches, shared by two cores with the rest, takes longer.
    static let rangeTestTimeout = 300.0
    static let maximumViewers = 3
    /// Window sizes, below the minimum too.
    static let sizes = [(80, 24), (100, 30), (120, 40), (160, 48), (200, 60), (90, 26), (40, 10), (79, 24), (80, 23)]
    static let usableSizes = sizes.filter { $0.0 >= Viewer.minimumSize.width && $0.1 >= Viewer.minimumSize.height }

    init(convtop: String, runFolder: RunFolder, classNames: [String], run: RunState, seed: UInt64, log: URL) {
        self.convtop = convtop
        self.runFolder = runFolder
        self.classNames = classNames
        self.run = run
        random = RandomGenerator(seed: seed)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        keyLog = try? FileHandle(forWritingTo: log)
        start = clock.now
    }

    /// Seconds since the driver started.
    var now: Double { seconds(clock.now - start) }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func note(_ text: String) {
        try? keyLog?.write(contentsOf: Data(String(format: "%9.3f ", now).appending(text + "\n").utf8))
    }

    // MARK: Keys and measurements

    private func send(_ viewer: Viewer, _ keys: String...) {
        keysPressed += keys.count
        note("viewer \(viewer.number) key " + keys.joined(separator: " "))
        viewer.send(keys)
    }

    private func type(_ viewer: Viewer, _ text: String) {
        keysPressed += text.count
        note("viewer \(viewer.number) type \(text.debugDescription)")
        viewer.type(text)
    }

    /// Polls `viewer`'s screen from `sent` until `condition` holds and records the time as
    /// `action`'s response; a response that never comes is recorded as a miss, and the viewer's
    /// prompt or question is closed. Returns the screen that showed it, nil for a miss.
    @discardableResult
    private func expect(
        _ viewer: Viewer, _ action: String, _ path: ResponseTimes.Path, _ what: String, sent: ContinuousClock.Instant,
        timeout: Double = responseTimeout, until condition: (CapturedScreen) -> Bool
    ) -> CapturedScreen? {
        var screen = viewer.capture()
        while !condition(screen) {
            if seconds(clock.now - sent) > timeout || !viewer.isRunning {
                note("MISS viewer \(viewer.number) \(action): \(what)")
                times.miss(action, waitingFor: "viewer \(viewer.number): \(what)", at: now, screen: screen.rows)
                let now = viewer.capture()
                if now.promptIsOpen || now.markPromptIsOpen || now.asksStopOrDetach { send(viewer, "Escape") }
                return nil
            }
            Thread.sleep(forTimeInterval: 0.02)
            screen = viewer.capture()
        }
        let elapsed = seconds(clock.now - sent)
        times.add(action, path: path, seconds: elapsed, at: now)
        note("viewer \(viewer.number) saw \(what) after " + String(format: "%.3f s", elapsed))
        return screen
    }

    /// Records an intervention and waits until the journal holds it, so that the next action
    /// starts from the run's new state.
    private func record(_ intervention: Intervention, by: String, acknowledged: Bool, before: Int) {
        sent.append(Intervention.Sent(intervention: intervention, by: by, at: now, acknowledged: acknowledged))
        if !run.await(intervention.kind, after: before) {
            note("the journal has no \(intervention.kind) after \(intervention) by \(by)")
        }
    }

    private func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }

    private func chance(_ p: Double) -> Bool { uniform(0, 1) < p }

    private func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    private func randomLearningRate() -> Double {
        exp(uniform(log(Self.learningRates.lowerBound), log(Self.learningRates.upperBound)))
    }

    // MARK: The soak

    /// Acts until `duration` seconds have passed, calling `tick` after every action (memory samples
    /// and the trainer's liveness); stops early when `tick` returns false.
    func run(for duration: Double, tick: () -> Bool) {
        let end = now + duration
        while now < end {
            noticeCrashes()
            run.refresh()
            let roll = uniform(0, 1)
            if viewers.isEmpty || (roll < 0.04 && viewers.count < Self.maximumViewers) {
                openViewer()
            } else if roll < 0.08 && viewers.count > 1 {
                close(pick(viewers))
            } else if roll < 0.15 {
                resize(pick(viewers))
            } else if roll < 0.22 {
                sendOneShot()
            } else {
                act(on: pick(viewers))
            }
            if !tick() { return }
            Thread.sleep(forTimeInterval: uniform(0.3, 1.0))
        }
    }

    /// Viewers that ended on their own are crashes: recorded with their last screen, and dropped.
    private func noticeCrashes() {
        for viewer in viewers where !viewer.isRunning {
            let status = viewer.session.exitStatus ?? -1
            note("CRASH viewer \(viewer.number) exited \(status)")
            viewerCrashes.append(
                SoakReport.ViewerCrash(
                    viewer: viewer.number, exitStatus: status, at: now, screen: viewer.capture().rows))
            viewer.session.kill()
        }
        viewers.removeAll { !$0.isRunning }
    }

    private func openViewer() {
        viewersOpened += 1
        let size = chance(0.15) ? pick(Self.sizes) : pick(Self.usableSizes)
        note("viewer \(viewersOpened) attaches at \(size.0)x\(size.1)")
        let sent = clock.now
        guard
            let viewer = try? Viewer(
                number: viewersOpened, command: [convtop, "attach", runFolder.url.path], size: (size.0, size.1))
        else {
            times.miss("attach", waitingFor: "a tmux session", at: now, screen: [])
            return
        }
        viewers.append(viewer)
        let paused = run.paused
        expect(viewer, "attach", .session, "the run \(paused ? "paused" : "running")", sent: sent) {
            viewer.isTooSmall
                ? $0.saysTooSmall(width: size.0, height: size.1)
                : (paused ? $0.isPaused : $0.isRunning) && $0.page != nil
        }
    }

    /// Ends `viewer` one of four ways; only SIGKILL may leave a status other than 0.
    private func close(_ viewer: Viewer) {
        if viewer.isTooSmall { resize(viewer, to: pick(Self.usableSizes)) }
        let screen = viewer.capture()
        if screen.promptIsOpen || screen.markPromptIsOpen || screen.asksStopOrDetach { send(viewer, "Escape") }
        let way = pick(["d", "q d", "q q", "C-c", "SIGKILL"])
        let sent = clock.now
        var expected: Int32 = 0
        switch way {
        case "SIGKILL":
            expected = 128 + SIGKILL
            guard let pid = try? viewer.session.programPID() else { return }
            note("viewer \(viewer.number) SIGKILL \(pid)")
            kill(pid, SIGKILL)
        case "q d", "q q":
            send(viewer, "q")
            guard
                expect(viewer, "q (attached)", .ui, "stop or detach?", sent: sent, until: \.asksStopOrDetach) != nil
            else { return }
            send(viewer, String(way.last!))
        default:
            send(viewer, way)
        }
        let status = try? viewer.session.waitForExit(timeout: Self.responseTimeout)
        let elapsed = seconds(clock.now - sent)
        if status == expected {
            times.add("close: \(way)", path: .ui, seconds: elapsed, at: now)
            closes[way, default: 0] += 1
            note("viewer \(viewer.number) ended (\(way)) after " + String(format: "%.3f s", elapsed))
        } else if let status {
            viewerCrashes.append(
                SoakReport.ViewerCrash(
                    viewer: viewer.number, exitStatus: status, at: now, screen: viewer.capture().rows))
        } else {
            times.miss(
                "close: \(way)", waitingFor: "viewer \(viewer.number) to end", at: now, screen: viewer.capture().rows)
        }
        viewer.session.kill()
        viewers.removeAll { $0 === viewer }
    }

    private func resize(_ viewer: Viewer, to size: (Int, Int)? = nil) {
        let (width, height) = size ?? pick(Self.sizes.filter { $0 != viewer.size })
        let sent = clock.now
        note("viewer \(viewer.number) resize \(width)x\(height)")
        viewer.resize(to: (width, height))
        resizes += 1
        if viewer.isTooSmall {
            expect(viewer, "resize small", .ui, "too small \(width)x\(height)", sent: sent) {
                $0.saysTooSmall(width: width, height: height)
            }
        } else {
            expect(viewer, "resize", .ui, "a whole screen at \(width)x\(height)", sent: sent) { screen in
                screen.rows.count == height && screen.page.map { screen.shows($0) } == true
            }
        }
    }

    // MARK: One-shot commands

    private func sendOneShot() {
        let roll = uniform(0, 1)
        if roll < 0.45 {
            // Now and then the one that has nothing to do, which must leave the journal alone.
            let redundant = roll < 0.05
            let pausing = redundant ? run.paused : !run.paused
            oneShot(pausing ? "pause" : "resume", intervention: redundant ? nil : (pausing ? .pause : .resume))
        } else if roll < 0.8 {
            let text = String(format: "%.3g", randomLearningRate())
            guard let rate = Double(text), Self.learningRates.contains(rate) else { return }
            oneShot("lr", text, intervention: .learningRate(rate))
        } else {
            oneShot("undo", intervention: run.undoable > 0 ? .undo : nil)
        }
    }

    /// Runs `convtop NAME RUN ARGUMENTS`; `intervention` is what the journal should get (nil: nothing).
    private func oneShot(_ name: String, _ arguments: String..., intervention: Intervention?) {
        oneShots[name, default: 0] += 1
        let before = run.count(intervention?.kind ?? "")
        let command = [convtop, name, runFolder.url.path] + arguments
        note("run " + command.dropFirst().joined(separator: " "))
        let result = try? Subprocess.run(command, timeout: 60)
        let output = result?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        note("convtop \(name) exited \(result?.status.map(String.init) ?? "late"): \(output)")
        guard let result, result.status == 0 else {
            oneShotFailures.append("convtop \(([name] + arguments).joined(separator: " ")): \(output)")
            if let intervention { record(intervention, by: "convtop \(name)", acknowledged: false, before: before) }
            return
        }
        times.add("convtop \(name)", path: .session, seconds: result.seconds, at: now)
        // Undo says whether there was anything to undo; the driver's count can be off after an
        // intervention the run dropped from its history.
        let done = name == "undo" ? output.hasSuffix(": undone") : intervention != nil
        if let intervention, done { record(intervention, by: "convtop \(name)", acknowledged: true, before: before) }
    }

    // MARK: Keys on a viewer

    /// One random key (or short sequence) for the screen `viewer` shows.
    private func act(on viewer: Viewer) {
        let screen = viewer.capture()
        if screen.isTooSmall || viewer.isTooSmall {
            // Nothing shows but the request for a larger window: a key whose screen the next
            // resize checks, or that resize now.
            if chance(0.5) { return send(viewer, pick(["m", "c", "?", "Escape", "i", "w"])) }
            return resize(viewer, to: pick(Self.usableSizes))
        }
        if screen.promptIsOpen || screen.markPromptIsOpen || screen.asksStopOrDetach { return send(viewer, "Escape") }
        guard let page = screen.page else { return }
        if page == .rangeTest { return leaveRangeTest(viewer) }
        let roll = uniform(0, 1)
        switch roll {
        case ..<0.07: togglePause(viewer)
        case ..<0.14: scaleLearningRate(viewer)
        case ..<0.18: typeLearningRate(viewer, valid: true)
        case ..<0.21: typeLearningRate(viewer, valid: false)
        case ..<0.24: evaluate(viewer)
        case ..<0.27: save(viewer)
        case ..<0.31: undo(viewer)
        case ..<0.34: rangeTest(viewer)
        case ..<0.37: saliency(viewer)
        case ..<0.39: logScale(viewer, page: page)
        case ..<0.41: quitAndStay(viewer)
        case ..<0.48: open(viewer, .misclassified, key: "m", from: page)
        case ..<0.55: open(viewer, .confusion, key: "c", from: page)
        case ..<0.59:
            open(viewer, page == .help ? .main : .help, key: page == .confusion ? "?" : pick(["?", "h"]), from: page)
        case ..<0.62: open(viewer, .modelSummary, key: "i", from: page)
        case ..<0.65: open(viewer, .layerHealth, key: "w", from: page)
        case ..<0.70: open(viewer, .main, key: "Escape", from: page)
        default:
            switch page {
            case .misclassified: chance(0.3) ? mark(viewer, screen) : browse(viewer, screen)
            case .confusion: moveInMatrix(viewer, screen)
            case .help, .modelSummary: scroll(viewer, screen, page: page)
            case .main, .layerHealth, .rangeTest: open(viewer, .misclassified, key: "m", from: page)
            }
        }
    }

    private func togglePause(_ viewer: Viewer) {
        let pausing = !run.paused
        let before = run.count(pausing ? "paused" : "resumed")
        let sent = clock.now
        send(viewer, pick(["p", "Space"]))
        let seen = expect(viewer, pausing ? "pause" : "resume", .session, pausing ? "PAUSED" : "RUNNING", sent: sent) {
            pausing ? $0.isPaused : $0.isRunning
        }
        record(
            pausing ? .pause : .resume, by: "viewer \(viewer.number) key p", acknowledged: seen != nil, before: before)
    }

    private func scaleLearningRate(_ viewer: Viewer) {
        var up = chance(0.5)
        if !Self.learningRates.contains(run.learningRate * (up ? 2 : 0.5)) { up.toggle() }
        let sent = clock.now
        if up { send(viewer, pick(["+", "="])) } else { type(viewer, "-") }
        changedLearningRate(viewer, to: run.learningRate * (up ? 2 : 0.5), action: up ? "lr ×2" : "lr ÷2", sent: sent)
    }

    /// Waits for the status line or the notice to show the new rate, and records the change.
    private func changedLearningRate(
        _ viewer: Viewer, to new: Double, action: String, sent: ContinuousClock.Instant, before: Int? = nil
    ) {
        let before = before ?? run.count("lr_changed")
        let olds = Self.renderings(run.learningRate), news = Self.renderings(new)
        let seen = expect(viewer, action, .session, "lr \(news.sorted().joined(separator: " or "))", sent: sent) {
            screen in
            news.contains { shown in
                olds.contains { screen.notice.contains("learning rate \($0) → \(shown)") }
                    || (!olds.contains(shown) && screen.showsLearningRate(shown))
            }
        }
        record(.learningRate(new), by: "viewer \(viewer.number) \(action)", acknowledged: seen != nil, before: before)
    }

    /// How the dashboard may write `rate`: the worker scales the schedule's rate, so its figure can
    /// differ from the driver's in the last bit, enough to round the third digit the other way
    /// (0.00635 / 2 is written 0.00318 or 0.00317).
    private static func renderings(_ rate: Double) -> Set<String> {
        Set([rate * (1 - 1e-9), rate, rate * (1 + 1e-9)].map(Format.learningRate))
    }

    private static let invalidRates = [
        "abc", "-0.01", "0", "", "1e999", "nan", "0.0.1", "1,5", "inf", "fast", "-", ".",
    ]

    private func typeLearningRate(_ viewer: Viewer, valid: Bool) {
        let opened = clock.now
        send(viewer, "L")
        guard expect(viewer, "L prompt", .ui, "the prompt", sent: opened, until: \.promptIsOpen) != nil else { return }
        if valid {
            let text = String(format: pick(["%.3g", "%.2e", "%.4f"]), randomLearningRate())
            guard let typed = Double(text), Self.learningRates.contains(typed) else { return closePrompt(viewer) }
            type(viewer, text)
            let sent = clock.now
            send(viewer, "Enter")
            changedLearningRate(viewer, to: typed, action: "L value", sent: sent)
        } else {
            type(viewer, pick(Self.invalidRates))
            let sent = clock.now
            send(viewer, "Enter")
            expect(viewer, "L invalid", .ui, "the refusal", sent: sent) { $0.notice.contains("not a learning rate") }
            closePrompt(viewer)
        }
    }

    private func closePrompt(_ viewer: Viewer) {
        let sent = clock.now
        send(viewer, "Escape")
        expect(viewer, "prompt esc", .ui, "the prompt closed", sent: sent) { !$0.promptIsOpen }
    }

    private func evaluate(_ viewer: Viewer) {
        run.refresh()
        let before = run.evaluations
        let sent = clock.now
        send(viewer, "e")
        evaluationsRequested += 1
        // An evaluation that lands before the screen is read clears the notice.
        expect(viewer, "e", .ui, "evaluating…", sent: sent) { screen in
            if screen.notice.contains("evaluating") { return true }
            run.refresh()
            return run.evaluations > before
        }
    }

    private func save(_ viewer: Viewer) {
        let sent = clock.now
        send(viewer, "s")
        savesRequested += 1
        expect(viewer, "s", .ui, "saving", sent: sent) {
            $0.notice.contains("saving a checkpoint") || $0.notice.contains("checkpoint saved")
        }
    }

    private func undo(_ viewer: Viewer) {
        let before = run.count("undone")
        // The answer to an earlier `u` may still show: only a new notice answers this one, but for a
        // second "nothing to undo", which reads the same.
        let previous = viewer.capture().notice
        let nothing = run.undoable == 0
        let sent = clock.now
        send(viewer, "u")
        let seen = expect(viewer, "u", .session, "undone or nothing to undo", sent: sent) {
            ($0.notice != previous && $0.notice.contains("undone: back to step"))
                || (($0.notice != previous || nothing) && $0.notice.contains("nothing to undo"))
        }
        if let seen, seen.notice.contains("undone: back to step") {
            record(.undo, by: "viewer \(viewer.number) key u", acknowledged: true, before: before)
        } else if seen == nil && run.undoable > 0 {
            record(.undo, by: "viewer \(viewer.number) key u", acknowledged: false, before: before)
        }
    }

    /// `r`: the range test, on the run as it is; every viewer turns to it. The driver waits for
    /// its suggestion and leaves it from this viewer.
    private func rangeTest(_ viewer: Viewer) {
        guard !run.rangeTestRunning else { return }
        let before = run.count("lr_find_started"), found = run.count("lr_find_finished")
        viewer.resumesAfterRangeTest = !run.paused
        let sent = clock.now
        send(viewer, "r")
        let seen = expect(viewer, "r", .ui, "the range test", sent: sent) { $0.page == .rangeTest }
        record(.rangeTest, by: "viewer \(viewer.number) key r", acknowledged: seen != nil, before: before)
        guard seen != nil else { return }
        // Until the new sweep starts, the screen still shows the last test's suggestion: the journal
        // says when this one ended, and with which suggestion the screen must then show.
        run.await("lr_find_finished", after: found, timeout: Self.rangeTestTimeout)
        let suggested = "suggested " + (run.suggestion.map(Format.learningRate) ?? "none (too few points)")
        expect(viewer, "r sweep", .session, suggested, sent: sent, timeout: Self.rangeTestTimeout) {
            $0.contains(suggested)
        }
        leaveRangeTest(viewer)
    }

    /// Leaves the range test screen with enter (the suggestion), L (a typed rate) or esc; the run
    /// resumes when this viewer started the test on a running run.
    private func leaveRangeTest(_ viewer: Viewer) {
        let resumes = viewer.resumesAfterRangeTest
        viewer.resumesAfterRangeTest = false
        let resumed = run.count("resumed")
        let suggestion = run.suggestion.flatMap { Self.learningRates.contains($0) ? $0 : nil }
        let way = suggestion == nil ? pick(["esc", "L"]) : pick(["enter", "esc", "L"])
        var rate: Double?
        let sent: ContinuousClock.Instant
        switch way {
        case "enter":
            rate = suggestion
            sent = clock.now
            send(viewer, "Enter")
        case "L":
            let opened = clock.now
            send(viewer, "L")
            guard expect(viewer, "range L prompt", .ui, "the prompt", sent: opened, until: \.promptIsOpen) != nil else {
                return
            }
            let text = String(format: "%.3g", randomLearningRate())
            rate = Double(text)
            type(viewer, text)
            sent = clock.now
            send(viewer, "Enter")
        default:
            sent = clock.now
            send(viewer, "Escape")
        }
        let before = run.count("lr_changed")
        if let rate {
            changedLearningRate(viewer, to: rate, action: "range \(way)", sent: sent, before: before)
        }
        let seen = expect(viewer, "range \(way) back", .ui, "the main screen", sent: sent) { $0.page == .main }
        if resumes {
            let running = expect(viewer, "range \(way) resume", .session, "RUNNING", sent: sent) { $0.isRunning }
            record(
                .resume, by: "viewer \(viewer.number) range \(way)", acknowledged: seen != nil && running != nil,
                before: resumed)
        }
    }

    private func saliency(_ viewer: Viewer) {
        let sent = clock.now
        send(viewer, "g")
        expect(viewer, "g", .ui, "the overlay's notice", sent: sent) {
            $0.notice.contains("where the net looks") || $0.notice.contains("saliency overlay off")
        }
    }

    /// `l` on the main screen shows "(log)" in the loss chart's title, or takes it away; other
    /// screens do not show it (and the confusion matrix takes `l` for the cursor).
    private func logScale(_ viewer: Viewer, page: Page) {
        guard page == .main else { return open(viewer, .main, key: "Escape", from: page) }
        let logged = viewer.capture().contains("Loss (log)")
        let sent = clock.now
        send(viewer, "l")
        expect(viewer, "l", .ui, logged ? "a linear loss" : "a log loss", sent: sent) {
            $0.contains("Loss (log)") != logged
        }
    }

    /// `q`, then a key that is neither yes nor detach: the question closes and the viewer stays.
    private func quitAndStay(_ viewer: Viewer) {
        let sent = clock.now
        send(viewer, "q")
        guard expect(viewer, "q (attached)", .ui, "stop or detach?", sent: sent, until: \.asksStopOrDetach) != nil
        else { return }
        let answered = clock.now
        send(viewer, pick(["n", "Escape", "N"]))
        expect(viewer, "q no", .ui, "the question gone", sent: answered) { !$0.asksStopOrDetach }
    }

    private func open(_ viewer: Viewer, _ target: Page, key: String, from page: Page) {
        let sent = clock.now
        send(viewer, key)
        guard target != page else { return }
        expect(viewer, key == "Escape" ? "esc" : key, .ui, "\(target)", sent: sent) { $0.shows(target) }
    }

    private func browse(_ viewer: Viewer, _ before: CapturedScreen) {
        guard let (index, count) = before.browserPosition else {
            return open(viewer, .main, key: "Escape", from: .misclassified)
        }
        let key = pick(["j", "k", "Down", "Up", "Left", "Right", "PageUp", "PageDown", "f"])
        let target: Int? =
            switch key {
            case "j", "Down", "Right": min(count, index + 1)
            case "k", "Up", "Left": max(1, index - 1)
            case "PageDown": min(count, index + DashboardState.pageSize)
            case "PageUp": max(1, index - DashboardState.pageSize)
            default: nil
            }
        let sent = clock.now
        send(viewer, key)
        if let target {
            guard target != index else { return }
            expect(viewer, "browser \(key)", .ui, "image \(target)/\(count)", sent: sent) {
                $0.browserPosition.map { $0.index == target } ?? false
            }
        } else {
            expect(viewer, "browser f", .ui, "a new filter", sent: sent) { $0.browserHeading != before.browserHeading }
        }
    }

    /// `x` on the browsed image: marks it (the prompt, a note, perhaps another kind, enter) or,
    /// when it is marked, unmarks it.
    private func mark(_ viewer: Viewer, _ screen: CapturedScreen) {
        guard screen.browserPosition != nil else { return open(viewer, .main, key: "Escape", from: .misclassified) }
        let marked = run.count("image_marked"), unmarked = run.count("image_unmarked")
        // The notice of the last unmarking may still show, so only a new one answers this key.
        let previous = viewer.capture().notice
        let sent = clock.now
        send(viewer, "x")
        guard
            let seen = expect(
                viewer, "x", .ui, "the mark prompt or unmarking", sent: sent,
                until: {
                    $0.markPromptIsOpen || ($0.notice != previous && $0.notice.contains("unmark"))
                })
        else { return }
        if seen.markPromptIsOpen {
            guard let index = Self.imageNumber(in: seen.notice) else { return send(viewer, "Escape") }
            if chance(0.3) { send(viewer, "Tab") }
            type(viewer, pick(["", "blurry", "not a \(pick(classNames))", "label, \"wrong\"; see 1,2"]))
            let submitted = clock.now
            send(viewer, "Enter")
            let done = expect(viewer, "x mark", .session, "marked #\(index)", sent: submitted) {
                $0.notice.contains("marked ") && $0.notice.contains("image #\(index) as")
            }
            record(.mark(index), by: "viewer \(viewer.number) key x", acknowledged: done != nil, before: marked)
        } else {
            guard let index = Self.imageNumber(in: seen.notice) else { return }
            let done = expect(viewer, "x unmark", .session, "unmarked #\(index)", sent: sent) {
                $0.notice != previous && $0.notice.contains("unmarked ") && $0.notice.contains("image #\(index) ")
            }
            record(.unmark(index), by: "viewer \(viewer.number) key x", acknowledged: done != nil, before: unmarked)
        }
    }

    /// N of the first "#N" in `text`.
    private static func imageNumber(in text: String) -> Int? {
        guard let hash = text.firstIndex(of: "#") else { return nil }
        return Int(text[text.index(after: hash)...].prefix { $0.isNumber })
    }

    private func moveInMatrix(_ viewer: Viewer, _ screen: CapturedScreen) {
        guard let cursor = screen.matrixCursor(classNames: classNames) else {
            return open(viewer, .main, key: "Escape", from: .confusion)
        }
        let n = classNames.count
        let roll = uniform(0, 1)
        if roll < 0.15 {
            let sent = clock.now
            send(viewer, "Enter")
            let (t, p) = cursor
            if t == p {
                expect(viewer, "matrix enter", .ui, "the diagonal notice", sent: sent) {
                    $0.notice.contains("correct predictions")
                }
            } else {
                let filter = "true \(classNames[t]), predicted \(classNames[p])"
                expect(viewer, "matrix enter", .ui, "browser of \(filter)", sent: sent) {
                    $0.shows(.misclassified) && $0.browserHeadingShows(filter)
                }
            }
            return
        }
        if roll < 0.3 {
            let sent = clock.now
            send(viewer, "n")
            expect(viewer, "matrix n", .ui, "a most-confused cell", sent: sent) { screen in
                screen.notice.contains("no confusions")
                    || screen.matrixCursor(classNames: classNames).map { $0.row != $0.column } == true
            }
            return
        }
        let moves: [(String, Int, Int)] = [
            ("Up", -1, 0), ("k", -1, 0), ("Down", 1, 0), ("j", 1, 0),
            ("Left", 0, -1), ("h", 0, -1), ("Right", 0, 1), ("l", 0, 1),
        ]
        let (key, rows, columns) = pick(moves)
        let target = (row: min(n - 1, max(0, cursor.row + rows)), column: min(n - 1, max(0, cursor.column + columns)))
        let sent = clock.now
        send(viewer, key)
        guard target != cursor else { return }
        expect(viewer, "matrix \(key)", .ui, "cell \(target)", sent: sent) {
            $0.matrixCursor(classNames: classNames).map { $0 == target } == true
        }
    }

    /// j/k on the help and the model summary. Only a step down with rows left below is checked:
    /// the screen keeps how far it was asked to scroll, past the end too, so a step up may not show.
    private func scroll(_ viewer: Viewer, _ screen: CapturedScreen, page: Page) {
        let down = chance(0.6)
        let sent = clock.now
        send(viewer, down ? pick(["j", "Down"]) : pick(["k", "Up"]))
        guard down, let rows = screen.scrolledRows, rows.last < rows.count else { return }
        expect(viewer, "\(page) scroll", .ui, "rows from \(rows.first + 1)", sent: sent) {
            $0.scrolledRows.map { $0.first == rows.first + 1 } == true
        }
    }

    // MARK: The end

    /// Closes every viewer (the way `close` picks), then stops the run with `convtop stop`.
    func finish() {
        noticeCrashes()
        for viewer in viewers {
            if viewer.capture().page == .rangeTest { leaveRangeTest(viewer) }
            close(viewer)
        }
        oneShot("stop", intervention: nil)
    }
}
