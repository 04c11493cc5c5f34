import ConvProtocol

/// Names one saliency map a viewer can ask for: an image of a split, for a target class.
public struct SaliencyKey: Sendable, Hashable {
    public var split: Split
    public var index: Int
    public var target: SaliencyTarget

    public init(split: Split, index: Int, target: SaliencyTarget) {
        self.split = split
        self.index = index
        self.target = target
    }
}

/// A map as the dashboard keeps it: the map, how it was made and the step of the weights.
public struct SaliencyOverlay: Sendable, Equatable {
    public var map: SaliencyMap
    public var method: String
    public var step: Int

    public init(map: SaliencyMap, method: String, step: Int) {
        self.map = map
        self.method = method
        self.step = step
    }
}
