extension Model {
    /// The generators of the dropout layers, nested ones included, in network order. With the
    /// tensors of `stateDict` they are everything a training step changes in the model; a
    /// checkpoint saves the tensors only, so an in-memory snapshot keeps these beside them.
    public var dropoutGenerators: [RandomGenerator] {
        get { dropoutLayers(in: network.layers).map(\.generator) }
        set {
            let layers = dropoutLayers(in: network.layers)
            precondition(
                newValue.count == layers.count, "\(newValue.count) generators for \(layers.count) dropout layers")
            for (layer, generator) in zip(layers, newValue) { layer.generator = generator }
        }
    }
}

/// Every dropout layer among `layers` and inside their sequences and residual blocks, in order.
private func dropoutLayers(in layers: [(name: String, layer: any Layer)]) -> [Dropout] {
    layers.flatMap { _, layer -> [Dropout] in
        switch layer {
        case let dropout as Dropout: [dropout]
        case let sequence as Sequential: dropoutLayers(in: sequence.layers)
        case let block as Residual: dropoutLayers(in: block.body.layers + (block.shortcut?.layers ?? []))
        default: []
        }
    }
}
