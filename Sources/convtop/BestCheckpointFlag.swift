import ArgumentParser
import ConvTraining

/// `--best`, shared by the commands that read a checkpoint: take a run folder's best model.
struct BestCheckpointFlag: ParsableArguments {
    @Flag(
        help: "Read the run folder's best model (best.safetensors, kept when it trained with --monitor or --patience).")
    var best = false

    /// The checkpoint `path` names: its best model with `--best`, otherwise the file or the folder's newest.
    func load(_ path: String) throws -> (checkpoint: TrainingCheckpoint, file: String) {
        try TrainingCheckpoint.load(fileOrRunFolder: path, best: best)
    }
}
