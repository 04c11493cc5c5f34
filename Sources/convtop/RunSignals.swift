import Foundation

/// What the process does when it is signalled during a run.
///
/// SIGINT and SIGTERM only raise the `interrupted` flag: the viewer sees it, asks the session to
/// stop, and the session finishes its step and saves. A second one quits at once. SIGHUP (the
/// terminal went away) calls `onHangUp` so the run can save and carry on with its output in a
/// file. Signals arrive through dispatch sources, so no work happens inside a signal handler.
///
/// Under `mpirun`, SIGTERM is the job ending around the run (a rank died, or `mpirun` itself was
/// interrupted): the other ranks are gone and no step can finish, so `onTerminate`, when given,
/// takes SIGTERM instead and must end the process.
final class RunSignals: @unchecked Sendable {
    // @unchecked: `interruptions` and `hangUps` are only read and written while `lock` is held; the dispatch
    // sources are created in `init` and never changed.
    private let lock = NSLock()
    private var interruptions = 0
    private var hangUps = 0
    private var sources: [DispatchSourceSignal] = []

    init(onHangUp: @escaping @Sendable () -> Void, onTerminate: (@Sendable () -> Void)? = nil) {
        let queue = DispatchQueue(label: "convtop.signals")
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                if number == SIGHUP {
                    onHangUp()
                    self?.hangUp()
                } else if number == SIGTERM, let onTerminate {
                    onTerminate()
                } else {
                    self?.interrupt()
                }
            }
            source.resume()
            sources.append(source)
        }
        // A reader that went away (`convtop | head`) must not kill the run with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
    }

    /// True once SIGINT or SIGTERM arrived.
    var interrupted: Bool {
        lock.withLock { interruptions > 0 }
    }

    /// True once SIGHUP arrived (after `onHangUp` returned).
    var hungUp: Bool {
        lock.withLock { hangUps > 0 }
    }

    private func hangUp() {
        lock.withLock { hangUps += 1 }
    }

    private func interrupt() {
        let count = lock.withLock {
            interruptions += 1
            return interruptions
        }
        if count > 1 {
            FileHandle.standardError.write(Data("convtop: interrupted again, quitting without saving\n".utf8))
            exit(130)
        }
    }
}
