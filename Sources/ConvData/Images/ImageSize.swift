/// Width and height of the images a model takes: `--image-size N` (a square) or `WxH`.
public struct ImageSize: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// A square.
    public init(integerLiteral side: Int) { self.init(width: side, height: side) }

    /// Reads `N` or `WxH`; nil for anything else (zero and negative sides included).
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let width = Int(parts[0]), let height = Int(parts.last!),
            width > 0, height > 0
        else { return nil }
        self.init(width: width, height: height)
    }

    /// `N` for a square, `WxH` otherwise: what `init(parsing:)` reads back.
    public var description: String { width == height ? "\(width)" : "\(width)x\(height)" }

    public var pixelCount: Int { width * height }

    /// The size a `sourceWidth` x `sourceHeight` image is scaled to, keeping its aspect ratio, so
    /// that it just covers this size: one side equals this size's, the other is at least this
    /// size's (in proportion, truncated). For a square, torchvision's `Resize(N)` of the shorter side.
    func covering(width sourceWidth: Int, height sourceHeight: Int) -> (width: Int, height: Int) {
        if width * sourceHeight >= height * sourceWidth {
            (width, max(height, Int(Double(width) * Double(sourceHeight) / Double(sourceWidth))))
        } else {
            (max(width, Int(Double(height) * Double(sourceWidth) / Double(sourceHeight))), height)
        }
    }
}
