/// What a viewer asks of a training session. Commands take effect at the next step boundary.
public enum TrainingCommand: Sendable, Equatable {
    case pause
    case resume
    /// Sets the learning rate to this value.
    case setLearningRate(Double)
    /// Multiplies the learning rate by this factor.
    case scaleLearningRate(Double)
    /// Saves a checkpoint to this path, or to the run's folder when `nil`.
    case save(path: String?)
    case evaluate
    /// Finishes the current step, saves a checkpoint and ends the run.
    case stop
}
