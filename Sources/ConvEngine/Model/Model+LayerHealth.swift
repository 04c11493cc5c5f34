extension Model {
    /// The learnable tensors grouped by the layer that owns them (`conv1`, `res1.bn2`, `fc`), in
    /// `state_dict` order: a parameter's layer is its name without the last component.
    public var parameterLayers: [(name: String, parameters: [Parameter])] {
        var groups: [(name: String, parameters: [Parameter])] = []
        for parameter in namedParameters {
            let layer = parameter.name.split(separator: ".").dropLast().joined(separator: ".")
            if groups.last?.name == layer {
                groups[groups.count - 1].parameters.append(parameter)
            } else {
                groups.append((layer, [parameter]))
            }
        }
        return groups
    }

    /// For every ReLU, fused into a batch norm or on its own, in the order the layers run: the
    /// fraction of its units (positions of one sample's output) that were zero for every image of
    /// the latest forward pass. A unit that no image of a batch turns on passes no gradient, so
    /// the weights that feed only it stop learning. A ReLU that runs after a max pool (`Sequential`
    /// swaps them, or a batch norm takes the pool in) counts the pooled units.
    public func deadUnitFractions() -> [(name: String, fraction: Float)] {
        var found: [(name: String, fraction: Float)] = []
        func visit(_ sequence: Sequential, prefix: String) {
            for step in sequence.runOrder {
                let name = prefix + step.name
                switch step.layer {
                case let relu as ReLU: found.append((name, Self.deadFraction(of: relu.output)))
                case let norm as BatchNorm2d where norm.relu: found.append((name, Self.deadFraction(of: norm.output)))
                case let nested as Sequential: visit(nested, prefix: name + ".")
                case let block as Residual:
                    visit(block.body, prefix: name + ".")
                    if let shortcut = block.shortcut { visit(shortcut, prefix: name + ".shortcut.") }
                default: break
                }
            }
        }
        visit(network, prefix: "")
        return found
    }

    /// The fraction of the positions of one sample of `output` (N, ...) that are not positive in
    /// any of the N samples; 0 for an empty tensor.
    static func deadFraction(of output: Tensor) -> Float {
        guard output.count > 0, let n = output.shape.first, n > 0 else { return 0 }
        let units = output.count / n
        var alive = [Bool](repeating: false, count: units)
        alive.withUnsafeMutableBufferPointer { alive in
            for image in 0..<n {
                let row = output.data + image * units
                for unit in 0..<units where row[unit] > 0 { alive[unit] = true }
            }
        }
        return Float(alive.count { !$0 }) / Float(units)
    }
}
