import ConvProtocol
import Foundation

/// The only link between a training worker and its viewer: commands in, events out.
///
/// Sending never blocks either side for longer than it takes to append to a queue. When the
/// viewer lags, consecutive step events are coalesced (the latest one wins); every other event
/// (evaluations, state changes, warnings, the end of the run) is kept in order and never dropped.
/// The viewer polls with `events()` or waits with `events(waitingAtMost:)`; a paused worker
/// sleeps in `waitForCommand()` without using the CPU until a command arrives.
public final class TrainingChannel: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var pendingEvents: [TrainingEvent] = []
    private var pendingCommands: [TrainingCommand] = []
    private var ended = false
    private var coalesced = 0
    private var observers: [@Sendable (TrainingEvent) -> Void] = []

    public init() {}

    // MARK: Worker side

    /// Queues an event for the viewer. A step event replaces a step event the viewer has not
    /// collected yet, so a slow viewer costs the worker nothing. `finished` and `failed` end the
    /// stream: a viewer that has collected them will never receive another event.
    public func send(_ event: TrainingEvent) {
        let observers = queue(event)
        for observer in observers { observer(event) }
    }

    /// Calls `observer` on the worker thread with every event sent from now on, after it is
    /// queued for the viewer; it must return quickly (the run's server only appends to queues).
    public func observe(_ observer: @escaping @Sendable (TrainingEvent) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        observers.append(observer)
    }

    private func queue(_ event: TrainingEvent) -> [@Sendable (TrainingEvent) -> Void] {
        condition.lock()
        defer { condition.unlock() }
        if case .step = event, case .step? = pendingEvents.last {
            pendingEvents[pendingEvents.count - 1] = event
            coalesced += 1
        } else {
            pendingEvents.append(event)
        }
        switch event {
        case .finished, .failed: ended = true
        default: break
        }
        condition.broadcast()
        return observers
    }

    /// The oldest command the viewer sent, or `nil` at once when there is none.
    public func nextCommand() -> TrainingCommand? {
        condition.lock()
        defer { condition.unlock() }
        return pendingCommands.isEmpty ? nil : pendingCommands.removeFirst()
    }

    /// The oldest command the viewer sent, sleeping until one arrives.
    public func waitForCommand() -> TrainingCommand {
        condition.lock()
        defer { condition.unlock() }
        while pendingCommands.isEmpty { condition.wait() }
        return pendingCommands.removeFirst()
    }

    // MARK: Viewer side

    /// Queues a command; the worker applies it at its next step boundary.
    public func send(_ command: TrainingCommand) {
        condition.lock()
        defer { condition.unlock() }
        pendingCommands.append(command)
        condition.broadcast()
    }

    /// Every event queued since the last call, oldest first, without waiting.
    public func events() -> [TrainingEvent] {
        condition.lock()
        defer { condition.unlock() }
        return takeEvents()
    }

    /// Every event queued since the last call, waiting up to `timeout` seconds for the first one.
    /// Returns an empty array when the time ran out or when the run has ended and every event
    /// has been collected.
    public func events(waitingAtMost timeout: Double) -> [TrainingEvent] {
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        condition.lock()
        defer { condition.unlock() }
        while pendingEvents.isEmpty && !ended {
            if !condition.wait(until: deadline) { break }
        }
        return takeEvents()
    }

    /// True once the worker sent `finished` or `failed` and the viewer has collected every event.
    public var isDrained: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ended && pendingEvents.isEmpty
    }

    /// How many step events were replaced by a newer one before the viewer collected them.
    public var coalescedStepCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return coalesced
    }

    private func takeEvents() -> [TrainingEvent] {
        let taken = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        return taken
    }
}
