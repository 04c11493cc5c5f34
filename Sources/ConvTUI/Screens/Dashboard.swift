import ConvProtocol

/// How the dashboard talks to a training session: it pulls events, pushes commands, and is told
/// about Ctrl-C / SIGTERM. All three closures are called on the dashboard's (main) thread.
public struct SessionLink {
    /// Returns the events that arrived since the last call, oldest first, without blocking.
    public var nextEvents: () -> [TrainingEvent]
    /// Hands a command to the session, without blocking.
    public var send: (TrainingCommand) -> Void
    /// Whether the process was asked to stop (set by a signal handler); the dashboard then sends
    /// `.stop` once, keeps drawing while the run saves its checkpoint, and returns when it ended.
    public var interrupted: () -> Bool
    /// Whether the terminal went away (SIGHUP): the dashboard returns at once, leaving the run going.
    public var detached: () -> Bool

    public init(
        nextEvents: @escaping () -> [TrainingEvent], send: @escaping (TrainingCommand) -> Void,
        interrupted: @escaping () -> Bool = { false }, detached: @escaping () -> Bool = { false }
    ) {
        self.nextEvents = nextEvents
        self.send = send
        self.interrupted = interrupted
        self.detached = detached
    }
}

/// The live dashboard: draws the run and turns keys into commands until the person quits.
///
/// Wiring it to a session, on the main thread (signal handlers installed first: ncurses only
/// installs its own SIGINT/SIGTERM handlers, which exit without saving, when none is set):
///
///     var terminal = try NCursesTerminal(colorPreference: noColor ? .never : .automatic)
///     let link = SessionLink(nextEvents: { channel.events() }, send: { channel.send($0) },
///                            interrupted: { stopRequested.load(ordering: .relaxed) })
///     let state = Dashboard.run(terminal: &terminal,
///                               options: DashboardOptions(thumbnails: asciiThumbnails ? .ascii : .automatic),
///                               link: link)
///     terminal.close()   // before printing anything
public enum Dashboard {
    /// Runs the dashboard on the calling thread (which must own `terminal`) and returns the final
    /// state once the person quit: after `q` + `y` (or an interrupt) it has sent `.stop` and waited
    /// for the run's `.finished` or `.failed` event; after the run ended, `q` returns at once.
    ///
    /// Each turn it drains the session's events, handles keys as they come, and draws at most
    /// `options.framesPerSecond` frames a second, and only when something changed.
    @discardableResult
    public static func run<T: Terminal>(
        terminal: inout T, options: DashboardOptions = .init(),
        link: SessionLink, attached: Bool = false, readOnly: Bool = false
    ) -> DashboardState {
        var state = DashboardState()
        state.attached = attached
        state.readOnly = readOnly
        let clock = ContinuousClock()
        let frameInterval = Duration.seconds(1 / max(1, options.framesPerSecond))
        var lastFrame = clock.now - frameInterval
        var dirty = true
        while !state.shouldExit && !link.detached() {
            let events = link.nextEvents()
            for event in events { state.apply(event) }
            if !events.isEmpty { dirty = true }
            if link.interrupted() && !state.stopping {
                for command in state.reduce(.interrupt) { link.send(command) }
                dirty = true
            }
            if dirty && clock.now - lastFrame >= frameInterval {
                for command in state.saliencyRequests() { link.send(command) }
                draw(state, options: options, on: &terminal)
                lastFrame = clock.now
                dirty = false
            }
            if state.shouldExit { break }
            // Idle, wait a whole frame for a key (events are polled at the frame rate, so the loop never
            // spins); with a change pending, wait only until its frame is due.
            let wait = dirty ? max(.zero, lastFrame + frameInterval - clock.now) : frameInterval
            let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
            guard let key = terminal.readKey(timeout: seconds) else { continue }
            dirty = true
            let size = terminal.size
            state.lastScroll = DashboardView.lastScroll(of: state, width: size.width, height: size.height)
            if let action = state.action(for: key) {
                for command in state.reduce(action) { link.send(command) }
            }
        }
        return state
    }

    /// Renders one frame of `state` at the terminal's current size.
    public static func draw<T: Terminal>(_ state: DashboardState, options: DashboardOptions, on terminal: inout T) {
        let size = terminal.size
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: size.width, height: size.height))
        DashboardView(state: state, options: options, capabilities: terminal.capabilities)
            .render(area: buffer.area, buffer: &buffer)
        terminal.draw(buffer)
    }
}
