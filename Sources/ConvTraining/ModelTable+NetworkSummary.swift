import ConvEngine
import ConvProtocol

extension ModelTable {
    /// The rows and totals `convtop model summary` prints, for a viewer that knows only the protocol.
    init(_ summary: NetworkSummary) {
        self.init(
            rows: summary.rows.map {
                Row(
                    depth: $0.depth, name: $0.name, layer: $0.layer, outputShape: $0.outputShape,
                    parameters: $0.parameters, multiplyAdds: $0.multiplyAdds, algorithm: $0.algorithm)
            }, parameters: summary.network.parameterCount, multiplyAdds: summary.network.multiplyAdds)
    }
}
