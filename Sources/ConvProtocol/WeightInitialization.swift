/// Where a run's starting weights came from with `--init-from`: which tensors (by `state_dict`
/// name) were copied from the other run's checkpoint, which were initialised afresh because the
/// checkpoint has none of that name and shape (a head for another class count), and which
/// parameters `--freeze` keeps fixed.
public struct WeightInitialization: Sendable, Equatable {
    /// The checkpoint file the tensors came from.
    public var source: String
    public var taken: [String]
    public var reinitialized: [String]
    public var frozen: [String]

    public init(source: String, taken: [String], reinitialized: [String], frozen: [String]) {
        self.source = source
        self.taken = taken
        self.reinitialized = reinitialized
        self.frozen = frozen
    }

    /// One line for a log: "initialised from runs/a/checkpoint.safetensors: took 62 of 64
    /// tensors; re-initialised fc.weight, fc.bias; frozen: none".
    public var description: String {
        func names(_ list: [String]) -> String { list.isEmpty ? "none" : list.joined(separator: ", ") }
        return "initialised from \(source): took \(taken.count) of \(taken.count + reinitialized.count) tensors; "
            + "re-initialised: \(names(reinitialized)); frozen: \(names(frozen))"
    }
}
