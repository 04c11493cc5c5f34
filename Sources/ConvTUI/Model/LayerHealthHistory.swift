import ConvProtocol

/// The layer-health samples of a run as series, one per layer and figure, x = step.
public struct LayerHealthHistory: Sendable, Equatable {
    /// One layer's figures over the run.
    public struct LayerSeries: Sendable, Equatable {
        public var name: String
        public var weightNorm = Series(capacity: capacity)
        public var gradientNorm = Series(capacity: capacity)
        public var updateRatio = Series(capacity: capacity)
        public var latest: LayerStatistics
    }

    /// One ReLU's dead fraction over the run.
    public struct ActivationSeries: Sendable, Equatable {
        public var name: String
        public var deadFraction = Series(capacity: capacity)
        public var latest: ActivationStatistics
    }

    /// Most points per series; a sparkline is at most a few dozen cells wide.
    public static let capacity = 256

    public private(set) var layers: [LayerSeries] = []
    public private(set) var activations: [ActivationSeries] = []
    public private(set) var latestStep: Int?

    public init() {}

    public mutating func append(_ sample: LayerHealth) {
        latestStep = sample.step
        let x = Double(sample.step)
        for statistics in sample.layers {
            let i = Self.slot(statistics.name, in: &layers, \.name) { LayerSeries(name: $0, latest: statistics) }
            layers[i].latest = statistics
            layers[i].weightNorm.append(ChartPoint(x: x, y: statistics.weightNorm))
            layers[i].gradientNorm.append(ChartPoint(x: x, y: statistics.gradientNorm))
            layers[i].updateRatio.append(ChartPoint(x: x, y: statistics.updateRatio))
        }
        for statistics in sample.activations {
            let i = Self.slot(statistics.name, in: &activations, \.name) {
                ActivationSeries(name: $0, latest: statistics)
            }
            activations[i].latest = statistics
            activations[i].deadFraction.append(ChartPoint(x: x, y: Double(statistics.deadFraction)))
        }
    }

    /// The index of the element named `name` in `list`, appending a new one first when there is none.
    private static func slot<Element>(
        _ name: String, in list: inout [Element], _ nameOf: KeyPath<Element, String>, make: (String) -> Element
    ) -> Int {
        if let index = list.firstIndex(where: { $0[keyPath: nameOf] == name }) { return index }
        list.append(make(name))
        return list.count - 1
    }
}
