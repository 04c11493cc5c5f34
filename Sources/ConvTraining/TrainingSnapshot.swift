import ConvData
import ConvEngine
import ConvProtocol

/// The whole state of a training run at a step boundary, kept in memory, from which the run
/// continues bit for bit as if nothing had happened since: what a range test returns to and what
/// undo goes back to.
///
/// The tensors (parameters, buffers such as batch-norm statistics and `num_batches_tracked`, and
/// the optimizer's state, Adam's step counts included) and where the run stands (step, next batch,
/// learning-rate scale) are captured as a `TrainingCheckpoint`, the same capture a saved checkpoint
/// makes, the dropout layers' generators included. The shuffling order and the augmentation of
/// every image are pure functions of the seed and the batch position, so the position restores
/// them; the running figures of the epoch are not in a checkpoint and are kept beside it.
struct TrainingSnapshot {
    let checkpoint: TrainingCheckpoint
    let epoch: EpochProgress

    var step: Int { checkpoint.step }
    var position: BatchPosition { checkpoint.position }
    var learningRateScale: Double { checkpoint.learningRateScale }

    /// Bytes the snapshot's tensors take.
    var byteCount: Int { checkpoint.tensors.values.reduce(0) { $0 + $1.bytes.count } }

    /// Puts the tensors and generators back into `model` and `optimizer`; the caller takes `step`,
    /// `position`, `learningRateScale` and `epoch` back into its own counters.
    func restore(into model: Model, optimizer: any Optimizer) throws {
        try checkpoint.restore(into: model, optimizer: optimizer)
    }
}

/// The running figures of the epoch under way, which the epoch summary and the smoothed metrics
/// of later steps are computed from.
struct EpochProgress {
    var loss = 0.0
    var correct = 0
    var images = 0
    var smoothed = SmoothedMetrics()
}

/// The snapshots taken before each intervention, oldest first, within `UndoLimit`: at most
/// `UndoLimit.interventions` of them and `UndoLimit.bytes` together, the oldest dropped first, the
/// newest always kept.
struct UndoHistory {
    struct Entry {
        let snapshot: TrainingSnapshot
        /// What the intervention did, for the journal ("learning rate 0.1 → 0.05").
        let intervention: String
    }

    private(set) var entries: [Entry] = []

    mutating func keep(_ snapshot: TrainingSnapshot, before intervention: String) {
        entries.append(Entry(snapshot: snapshot, intervention: intervention))
        var bytes = entries.reduce(0) { $0 + $1.snapshot.byteCount }
        while entries.count > 1 && (entries.count > UndoLimit.interventions || bytes > UndoLimit.bytes) {
            bytes -= entries.removeFirst().snapshot.byteCount
        }
    }

    mutating func takeLast() -> Entry? { entries.popLast() }
}
