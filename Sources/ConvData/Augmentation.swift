/// The `--augment` choices.
public enum AugmentationMode: String, CaseIterable, Sendable, Codable {
    case none, flip, crop, standard
}

/// Random changes applied to training images only: a crop of the zero-padded image and a
/// horizontal flip, each drawn from the loader's seed, the epoch and the image's position.
public struct Augmentation: Sendable, Equatable {
    /// Zero pixels added on every side before cropping back to size; 0 disables cropping.
    public var cropPadding: Int
    /// Mirror left-right with probability 1/2.
    public var horizontalFlip: Bool

    public init(cropPadding: Int, horizontalFlip: Bool) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// No augmentation (evaluation, or `--augment none`).
    public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)

    /// What `mode` means for `dataset`: padding 4 for 32x32 images (height / 8 in general), and
    /// no flip in `standard` for digits and characters.
    public init(_ mode: AugmentationMode, for dataset: Dataset) {
        let padding = max(1, dataset.dimensions.height / 8)
        switch mode {
        case .none: self = .none
        case .flip: self.init(cropPadding: 0, horizontalFlip: true)
        case .crop: self.init(cropPadding: padding, horizontalFlip: false)
        case .standard: self.init(cropPadding: padding, horizontalFlip: dataset.allowsHorizontalFlip)
        }
    }

    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }
}
