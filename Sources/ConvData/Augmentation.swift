import Foundation

/// The `--augment` choices.
public enum AugmentationMode: String, CaseIterable, Sendable, Codable {
    /// Nothing; `flip`: a horizontal flip; `crop`: a crop of the zero-padded image; `crop-flip`:
    /// both (CIFAR's usual augmentation, for a folder of images already at the model's size);
    /// `resized`: a random resized crop and a flip; `standard`: the dataset's usual choice
    /// (`resized` for an image folder, `crop-flip` for the others).
    case none, flip, crop
    case cropFlip = "crop-flip"
    case resized, standard

    /// Whether the mode mirrors training images (where the dataset allows it), so that test flips suit it.
    public var flips: Bool { [.flip, .cropFlip, .resized, .standard].contains(self) }

    /// Whether the mode moves the content of training images, so that test shifts suit it.
    public var movesImages: Bool { [.crop, .cropFlip, .resized, .standard].contains(self) }
}

/// Random changes applied to training images only, each drawn from the loader's seed, the epoch
/// and the image's position: a crop (of the zero-padded image, or a random resized crop of the
/// image's source), a horizontal flip, and a square erased (cutout).
public struct Augmentation: Sendable, Equatable {
    /// Zero pixels added on every side before cropping back to size; 0 disables cropping.
    public var cropPadding: Int
    /// Mirror left-right with probability 1/2.
    public var horizontalFlip: Bool
    /// Crop a random box of the image's source and scale it to the image size (instead of a
    /// padded crop); nil for none.
    public var resizedCrop: ResizedCrop?
    /// The side of a square, placed uniformly inside the image after the crop and flip, whose
    /// pixels are set to 0 after normalisation (the training images' mean colour): DeVries and
    /// Taylor's cutout, as in Myrtle's CIFAR-10 ResNet-9 (an 8x8 square, always whole). 0 for none.
    public var cutout: Int

    public init(cropPadding: Int, horizontalFlip: Bool, resizedCrop: ResizedCrop? = nil, cutout: Int = 0) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.resizedCrop = resizedCrop
        self.cutout = cutout
    }

    /// No augmentation (evaluation, or `--augment none`).
    public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)

    /// What `mode` means for `dataset`: padding 4 for 32x32 images (height / 8 in general), and
    /// no flip in `standard` or `resized` for digits and characters; `cutout` whatever the mode.
    public init(_ mode: AugmentationMode, for dataset: Dataset, cutout: Int = 0) {
        let padding = max(1, dataset.dimensions.height / 8)
        let flip = dataset.allowsHorizontalFlip
        switch mode {
        case .none: self = .none
        case .flip: self.init(cropPadding: 0, horizontalFlip: true)
        case .crop: self.init(cropPadding: padding, horizontalFlip: false)
        case .cropFlip: self.init(cropPadding: padding, horizontalFlip: flip)
        case .resized: self.init(cropPadding: 0, horizontalFlip: flip, resizedCrop: .standard)
        case .standard:
            self.init(
                cropPadding: dataset.format == .imageFolder ? 0 : padding, horizontalFlip: flip,
                resizedCrop: dataset.format == .imageFolder ? .standard : nil)
        }
        self.cutout = cutout
    }

    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip && resizedCrop == nil && cutout == 0 }

    /// Why `cutout` does not fit images of `dimensions` (it is wider or taller), as one line
    /// naming the option, or nil.
    public static func cutoutProblem(_ cutout: Int, for dimensions: ImageDimensions) -> String? {
        if cutout > min(dimensions.width, dimensions.height) {
            return "--cutout \(cutout) is larger than the \(dimensions.width)x\(dimensions.height) images"
        }
        return nil
    }
}

/// torchvision's `RandomResizedCrop`: a box covering a random fraction of the source's area
/// (uniform in `scale`), of a random aspect ratio (log-uniform in `ratio`, relative to the output's
/// own), placed uniformly, then scaled to the output size with the antialiased filter.
public struct ResizedCrop: Sendable, Equatable {
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>

    public init(scale: ClosedRange<Double>, ratio: ClosedRange<Double>) {
        self.scale = scale
        self.ratio = ratio
    }

    /// torchvision's ratio (3/4 to 4/3) with a quarter of the area at least, not its 0.08: small
    /// images keep their object, and an image folder's sources (kept at twice the image size)
    /// then never have to be enlarged beyond their own resolution.
    public static let standard = ResizedCrop(scale: 0.25...1, ratio: 0.75...(4.0 / 3))

    /// The box for a `width` x `height` source and an output `outputAspect` (width / height)
    /// wide: ten tries for a box that fits, then, as torchvision, the centre box of the nearest
    /// allowed ratio.
    func box(width: Int, height: Int, outputAspect: Double, using generator: inout SplitMix64)
        -> ImageResampler.CropBox
    {
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + Double(generator.next() >> 11) * 0x1p-53 * (range.upperBound - range.lowerBound)
        }
        let area = Double(width * height)
        let ratios = (ratio.lowerBound * outputAspect)...(ratio.upperBound * outputAspect)
        let logRatios = log(ratios.lowerBound)...log(ratios.upperBound)
        for _ in 0..<10 {
            let target = area * uniform(scale)
            let aspect = exp(uniform(logRatios))
            let boxWidth = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let boxHeight = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if (1...width).contains(boxWidth) && (1...height).contains(boxHeight) {
                let y = Int(generator.next() % UInt64(height - boxHeight + 1))
                let x = Int(generator.next() % UInt64(width - boxWidth + 1))
                return ImageResampler.CropBox(x: x, y: y, width: boxWidth, height: boxHeight)
            }
        }
        let sourceAspect = Double(width) / Double(height)
        var boxWidth = width, boxHeight = height
        if sourceAspect < ratios.lowerBound {
            boxHeight = min(height, max(1, Int((Double(width) / ratios.lowerBound).rounded(.toNearestOrEven))))
        } else if sourceAspect > ratios.upperBound {
            boxWidth = min(width, max(1, Int((Double(height) * ratios.upperBound).rounded(.toNearestOrEven))))
        }
        return ImageResampler.CropBox(
            x: (width - boxWidth) / 2, y: (height - boxHeight) / 2, width: boxWidth, height: boxHeight)
    }
}
