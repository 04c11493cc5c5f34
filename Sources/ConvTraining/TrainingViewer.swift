import ConvProtocol

/// Whatever shows a run to a person: the dashboard on a terminal, or plain lines.
///
/// A viewer reads events from the session's channel and may send it commands. It runs on the
/// thread that called `watch`, never on the worker.
public protocol TrainingViewer {
    /// Shows the run until it ends and returns its last event (`finished` or `failed`).
    ///
    /// `interrupted` turns true once the process was asked to stop (SIGINT or SIGTERM); the
    /// viewer then sends `.stop` once and keeps showing the run until it has saved and ended.
    mutating func watch(_ channel: TrainingChannel, interrupted: () -> Bool) -> TrainingEvent?
}
