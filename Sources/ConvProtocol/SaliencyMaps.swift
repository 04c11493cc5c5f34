/// Which class a saliency map explains. The raw value is what a line writes.
public enum SaliencyTarget: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// The class the model predicts for the image: why it answered what it answered.
    case predicted
    /// The image's true class: where the model finds (or misses) the evidence for it.
    case trueClass = "true"

    public var description: String {
        switch self {
        case .predicted: "predicted class"
        case .trueClass: "true class"
        }
    }
}

/// A viewer's request for the saliency maps of evaluation images, which the session answers with
/// a `saliency` event at the next step boundary (at once while paused), from its current weights.
public struct SaliencyRequest: Sendable, Hashable {
    public var split: Split
    /// The images' indices in the split.
    public var indices: [Int]
    public var target: SaliencyTarget

    /// The most images one request may name: a viewer asks for the images on screen, and the
    /// session computes them between two steps.
    public static let maximumImages = 64

    public init(split: Split, indices: [Int], target: SaliencyTarget) {
        self.split = split
        self.indices = indices
        self.target = target
    }
}

/// One image's saliency map.
public struct SaliencyMap: Sendable, Equatable {
    /// The image's index in its split.
    public var index: Int
    /// The class the map explains.
    public var label: Int
    /// The class the model predicted for the image when the map was made.
    public var predictedLabel: Int
    public var height: Int
    public var width: Int
    /// Row by row, scaled so that the map's largest value is 255 (all 0 when the model looks at
    /// nothing that raises the class); empty in the journal, which keeps no images.
    public var values: [UInt8]

    public init(index: Int, label: Int, predictedLabel: Int, height: Int, width: Int, values: [UInt8]) {
        self.index = index
        self.label = label
        self.predictedLabel = predictedLabel
        self.height = height
        self.width = width
        self.values = values
    }
}

/// The session's answer to a `SaliencyRequest`.
public struct SaliencyMaps: Sendable, Equatable {
    public var split: Split
    /// The global step whose weights made the maps.
    public var step: Int
    public var target: SaliencyTarget
    /// How the maps were made, for display: "Grad-CAM of res2.conv2" or "input gradient".
    public var method: String
    public var maps: [SaliencyMap]

    public init(split: Split, step: Int, target: SaliencyTarget, method: String, maps: [SaliencyMap]) {
        self.split = split
        self.step = step
        self.target = target
        self.method = method
        self.maps = maps
    }
}
