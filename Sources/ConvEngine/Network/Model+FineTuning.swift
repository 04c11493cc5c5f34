extension Model {
    /// Copies every parameter and buffer whose name and shape match one in `tensors` (another
    /// run's checkpoint), keeping the rest as initialised, such as a head for another class count.
    /// Returns the names taken and the names kept, in `state_dict` order.
    public func initialize(from tensors: [String: SafeTensorsTensor]) -> (taken: [String], kept: [String]) {
        var taken: [String] = [], kept: [String] = []
        for entry in stateDict {
            guard let stored = tensors[entry.name], stored.shape == entry.value.shape,
                let values = stored.float32Values() ?? stored.int64Values()?.map(Float.init)
            else {
                kept.append(entry.name)
                continue
            }
            entry.value.copy(from: Tensor(shape: stored.shape, values: values))
            taken.append(entry.name)
        }
        return (taken, kept)
    }

    /// The parameters an optimizer should update when the layers named by `frozen` stay fixed, and
    /// the prefixes that match no parameter (a mistyped name). A prefix names a layer or block by
    /// its path (`conv1`, `res1`, `stage.0`), so `res1` freezes `res1.conv1.weight` but not
    /// `res10.weight`. Frozen batch norms still update their running statistics in training, as in
    /// PyTorch with `requires_grad = False`.
    public func trainableParameters(freezing frozen: [String]) -> (parameters: [Parameter], unmatched: [String]) {
        func isFrozen(_ name: String, by prefix: String) -> Bool { name == prefix || name.hasPrefix(prefix + ".") }
        let unmatched = frozen.filter { prefix in !namedParameters.contains { isFrozen($0.name, by: prefix) } }
        let parameters = namedParameters.filter { parameter in !frozen.contains { isFrozen(parameter.name, by: $0) } }
        return (parameters, unmatched)
    }
}
