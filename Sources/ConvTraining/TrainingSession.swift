import Foundation

/// A training run on its own worker thread, watched and steered only through `channel`.
///
/// The worker owns the model, optimizer, schedule, data loader and journal; nothing else touches
/// them. Start it, then read events from `channel` and send it commands; `wait()` returns once
/// the worker has sent `finished` or `failed` and let go of everything.
public final class TrainingSession: Sendable {
    public let channel = TrainingChannel()
    private let setup: TrainingSetup
    private let done = DispatchSemaphore(value: 0)

    public init(setup: TrainingSetup) {
        self.setup = setup
    }

    /// Starts the worker thread. Call once.
    public func start() {
        let setup = setup, channel = channel, done = done
        let thread = Thread {
            TrainingWorker.run(setup: setup, channel: channel)
            done.signal()
        }
        thread.name = "convtop-training"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Blocks until the worker thread has ended.
    public func wait() {
        done.wait()
        done.signal()
    }
}
