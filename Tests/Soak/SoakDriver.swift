import ConvEngine
import ConvTUI
import ConvTraining
import Foundation
import TmuxHarness

/// Presses random keys at the dashboard about once a second and resizes its window every few
/// seconds, measuring how long each visible change takes, until its time is up.
///
/// The driver keeps what it believes the dashboard shows (screen, paused, learning rate, matrix
/// cursor) and checks it after every key: a change that does not show within `responseTimeout` is
/// a miss, recorded with the screen, after which the driver reads the state back from the screen.
/// It never presses `q`: the end of the soak is `finish()`.
final class SoakDriver {
    typealias Page = CapturedScreen.Page

    let session: TmuxSession
    let journalURL: URL
    let classNames: [String]
    private(set) var learningRate: Double
    private(set) var page: Page = .main
    private(set) var paused = false
    private(set) var size: (width: Int, height: Int)
    private var cursor = (row: 0, column: 0)

    private(set) var times = ResponseTimes()
    private(set) var interventions: [Intervention] = []
    private(set) var keysPressed = 0
    private(set) var resizes = 0
    private(set) var savesRequested = 0
    private(set) var evaluationsRequested = 0
    private var keyLog: FileHandle?
    private var random: RandomGenerator
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// The learning rates `+`, `-` and typed values keep to, so that the run never diverges (a
    /// non-finite loss would pause it on its own and the driver's log would no longer match).
    static let learningRates = 1e-4...0.05
    static let responseTimeout = 30.0
    static let minimumSize = (width: 80, height: 24)
    /// Window sizes, below the minimum too; each resize picks one other than the current.
    static let sizes = [(80, 24), (100, 30), (120, 40), (160, 48), (200, 60), (90, 26), (40, 10), (79, 24), (80, 23)]

    init(
        session: TmuxSession, journalURL: URL, classNames: [String], learningRate: Double,
        size: (width: Int, height: Int), seed: UInt64, log: URL
    ) {
        self.session = session
        self.journalURL = journalURL
        self.classNames = classNames
        self.learningRate = learningRate
        self.size = size
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

    private func send(_ keys: String...) {
        keysPressed += keys.count
        note("key " + keys.joined(separator: " "))
        for key in keys { try? session.send(key) }
    }

    private func type(_ text: String) {
        keysPressed += text.count
        note("type \(text.debugDescription)")
        try? session.type(text)
    }

    private func capture() -> CapturedScreen { CapturedScreen((try? session.screen()) ?? []) }

    /// Polls the screen from `sent` until `condition` holds and records the time as `action`'s
    /// response; a response that never comes is recorded as a miss. Returns whether it came.
    @discardableResult
    private func expect(
        _ action: String, _ path: ResponseTimes.Path, _ what: String, sent: ContinuousClock.Instant,
        until condition: (CapturedScreen) -> Bool
    ) -> Bool {
        var screen = capture()
        while !condition(screen) {
            if seconds(clock.now - sent) > Self.responseTimeout {
                note("MISS \(action): \(what)")
                times.miss(action, waitingFor: what, at: now, screen: screen.rows)
                resynchronise()
                return false
            }
            Thread.sleep(forTimeInterval: 0.02)
            screen = capture()
        }
        let elapsed = seconds(clock.now - sent)
        times.add(action, path: path, seconds: elapsed, at: now)
        note("saw \(what) after " + String(format: "%.3f s", elapsed))
        return true
    }

    /// After a miss, believe the screen again: close a prompt, read the page and the badge, and take
    /// the learning rate from the journal.
    private func resynchronise() {
        if capture().promptIsOpen { send("Escape") }
        Thread.sleep(forTimeInterval: 0.5)
        let screen = capture()
        if let shown = screen.page { page = shown }
        paused = screen.isPaused
        let records = (try? MetricsJournal.read(journalURL)) ?? []
        for record in records {
            if case .learningRateChanged(_, let new, _) = record.event { learningRate = new }
        }
        note("resynchronised: page \(page), paused \(paused), lr \(learningRate)")
    }

    private var isTooSmall: Bool { size.width < Self.minimumSize.width || size.height < Self.minimumSize.height }

    // MARK: The soak

    /// Presses keys until `seconds` have passed, calling `tick` after every action (for memory
    /// samples and the liveness check); stops early when `tick` returns false.
    func run(for duration: Double, tick: () -> Bool) {
        let end = now + duration
        var nextResize = now + uniform(2, 6)
        while now < end {
            if now >= nextResize {
                resize()
                nextResize = now + uniform(2, 6)
            } else if isTooSmall {
                navigateUnseen()
            } else {
                act()
            }
            if !tick() { return }
            Thread.sleep(forTimeInterval: uniform(0.5, 1.3))
        }
    }

    private func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }

    private func chance(_ p: Double) -> Bool { uniform(0, 1) < p }

    private func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    private func resize() {
        let (width, height) = pick(Self.sizes.filter { $0 != size })
        let sent = clock.now
        note("resize \(width)x\(height)")
        try? session.resize(width: width, height: height)
        resizes += 1
        size = (width, height)
        if isTooSmall {
            expect("resize small", .ui, "too small \(width)x\(height)", sent: sent) {
                $0.saysTooSmall(width: width, height: height)
            }
        } else {
            let page = self.page
            expect("resize", .ui, "\(page) at \(width)x\(height)", sent: sent) {
                $0.rows.count == height && $0.shows(page)
            }
        }
    }

    /// Below the minimum size nothing but the request for a larger window shows, so only keys whose
    /// effect the driver can predict without seeing it are pressed; the next resize checks them.
    private func navigateUnseen() {
        switch pick(["m", "c", "?", "Escape", "e"]) {
        case "m": send("m"); page = .misclassified
        case "c": send("c"); page = .confusion
        case "?": send("?"); page = page == .help ? .main : .help
        case "e": send("e"); evaluationsRequested += 1
        default: send("Escape"); page = .main
        }
    }

    /// One random action for the current screen.
    private func act() {
        if paused && chance(0.35) { return togglePause() }
        let roll = uniform(0, 1)
        switch roll {
        case ..<0.06: togglePause()
        case ..<0.16: scaleLearningRate()
        case ..<0.22: typeLearningRate(valid: true)
        case ..<0.26: typeLearningRate(valid: false)
        case ..<0.29: evaluate()
        case ..<0.33: save()
        case ..<0.41: open(.misclassified, key: "m")
        case ..<0.49: open(.confusion, key: "c")
        case ..<0.54:
            open(page == .help ? .main : .help, key: pick(["?", "h"].filter { $0 == "?" || page != .confusion }))
        case ..<0.60: open(.main, key: "Escape")
        default:
            switch page {
            case .misclassified: browse()
            case .confusion: moveInMatrix()
            case .main, .help: scaleLearningRate()
            }
        }
    }

    private func togglePause() {
        let key = pick(["p", "Space"])
        let sent = clock.now
        send(key)
        let pausing = !paused
        let seen = expect(pausing ? "pause" : "resume", .session, pausing ? "PAUSED" : "RUNNING", sent: sent) {
            pausing ? $0.isPaused : $0.isRunning
        }
        if seen {
            paused = pausing
            interventions.append(pausing ? .pause : .resume)
        }
    }

    private func scaleLearningRate() {
        var up = chance(0.5)
        if !Self.learningRates.contains(learningRate * (up ? 2 : 0.5)) { up.toggle() }
        let new = learningRate * (up ? 2 : 0.5)
        let sent = clock.now
        if up { send(pick(["+", "="])) } else { type("-") }
        changedLearningRate(to: new, action: up ? "lr ×2" : "lr ÷2", sent: sent)
    }

    /// Waits for the status line or the session's notice to show the new rate.
    private func changedLearningRate(to new: Double, action: String, sent: ContinuousClock.Instant) {
        let olds = Self.renderings(learningRate), news = Self.renderings(new)
        let seen = expect(action, .session, "lr \(news.sorted().joined(separator: " or "))", sent: sent) { screen in
            news.contains { shown in
                olds.contains { screen.notice.contains("learning rate \($0) → \(shown)") }
                    || (!olds.contains(shown) && screen.showsLearningRate(shown))
            }
        }
        if seen {
            learningRate = new
            interventions.append(.learningRate(new))
        }
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

    private func typeLearningRate(valid: Bool) {
        let opened = clock.now
        send("L")
        guard expect("L prompt", .ui, "the prompt", sent: opened, until: \.promptIsOpen) else { return }
        if valid {
            let value = exp(uniform(log(Self.learningRates.lowerBound), log(Self.learningRates.upperBound)))
            let text = String(format: pick(["%.3g", "%.2e", "%.4f"]), value)
            guard let typed = Double(text), Self.learningRates.contains(typed) else { return close() }
            type(text)
            let sent = clock.now
            send("Enter")
            changedLearningRate(to: typed, action: "L value", sent: sent)
        } else {
            type(pick(Self.invalidRates))
            let sent = clock.now
            send("Enter")
            expect("L invalid", .ui, "the refusal", sent: sent) { $0.notice.contains("not a learning rate") }
            close()
        }
    }

    private func close() {
        let sent = clock.now
        send("Escape")
        expect("prompt esc", .ui, "the prompt closed", sent: sent) { !$0.promptIsOpen }
    }

    private func evaluate() {
        let sent = clock.now
        send("e")
        evaluationsRequested += 1
        expect("e", .ui, "evaluating…", sent: sent) { $0.notice.contains("evaluating") }
    }

    private func save() {
        let sent = clock.now
        send("s")
        savesRequested += 1
        expect("s", .ui, "saving", sent: sent) {
            $0.notice.contains("saving a checkpoint") || $0.notice.contains("checkpoint saved")
        }
    }

    private func open(_ target: Page, key: String) {
        let sent = clock.now
        send(key)
        let from = page
        page = target
        guard target != from else { return }
        expect(key == "Escape" ? "esc" : key, .ui, "\(target)", sent: sent) { $0.shows(target) }
    }

    private func browse() {
        let before = capture()
        guard let (index, count) = before.browserPosition else { return open(.main, key: "Escape") }
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
        send(key)
        if let target {
            guard target != index else { return }
            expect("browser \(key)", .ui, "image \(target)/\(count)", sent: sent) {
                $0.browserHeading.contains("images \(target)/")
            }
        } else {
            expect("browser f", .ui, "a new filter", sent: sent) { $0.browserHeading != before.browserHeading }
        }
    }

    private func moveInMatrix() {
        let n = classNames.count
        let moves: [(String, Int, Int)] = [
            ("Up", -1, 0), ("k", -1, 0), ("Down", 1, 0), ("j", 1, 0),
            ("Left", 0, -1), ("h", 0, -1), ("Right", 0, 1), ("l", 0, 1),
        ]
        if chance(0.2) {
            let sent = clock.now
            send("Enter")
            let (t, p) = cursor
            if t == p {
                expect("matrix enter", .ui, "the diagonal notice", sent: sent) {
                    $0.notice.contains("correct predictions")
                }
            } else {
                page = .misclassified
                let filter = "true \(classNames[t]), predicted \(classNames[p])"
                expect("matrix enter", .ui, "browser of \(filter)", sent: sent) {
                    $0.shows(.misclassified) && $0.browserHeadingShows(filter)
                }
            }
            return
        }
        let (key, rows, columns) = pick(moves)
        let target = (row: min(n - 1, max(0, cursor.row + rows)), column: min(n - 1, max(0, cursor.column + columns)))
        let sent = clock.now
        send(key)
        guard target != cursor else { return }
        cursor = target
        let info =
            target.row == target.column
            ? "\(classNames[target.row]): "
            : "true \(classNames[target.row]), predicted \(classNames[target.column]): "
        expect("matrix \(key)", .ui, info, sent: sent) { $0.contains(info) }
    }

    /// Asks for an evaluation at once and waits until the main screen shows it, so that the soak
    /// starts from a steady run (the first evaluation allocates its images and buffers).
    func awaitFirstEvaluation(timeout: Double) throws {
        send("e")
        evaluationsRequested += 1
        try session.wait(for: "the first evaluation", timeout: timeout) {
            $0.contains { $0.contains("Per-class accuracy (test") }
        }
    }

    // MARK: The end

    /// Brings the window back to a usable size, closes any prompt, then quits with `q` and confirms.
    func finish() {
        if isTooSmall {
            try? session.resize(width: 100, height: 30)
            size = (100, 30)
        }
        if capture().promptIsOpen { send("Escape") }
        let sent = clock.now
        send("q")
        expect("q", .ui, "the quit question", sent: sent) { $0.contains("Stop training and quit?") }
        send("y")
    }
}
