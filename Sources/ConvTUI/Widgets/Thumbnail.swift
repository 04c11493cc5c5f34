import ConvProtocol

/// How thumbnails are drawn.
public enum ThumbnailMode: Sendable, Equatable {
    /// Upper-half blocks: one cell shows two pixels, the top as foreground and the bottom as background.
    case halfBlock
    /// The luminance ramp " .:-=+*#%@", one character per two pixels, for terminals without colour.
    case ascii

    /// The ramp from dark to bright.
    public static let ramp: [Character] = Array(" .:-=+*#%@")
}

/// An image drawn into `width` x `height` cells, resampled by averaging (shrinking) or repeating
/// (enlarging) pixels; every cell covers one pixel column and two pixel rows of the resampled image.
///
/// With a heat map (a saliency map of the image), half blocks show the image in grey under the
/// map's colours, from dark blue (0) through green to red (255); the luminance ramp shows the map
/// alone, since without colour the two cannot be told apart in one character.
public struct Thumbnail: Widget {
    public var image: SampleImage
    public var mode: ThumbnailMode
    public var heat: SaliencyMap?

    public init(image: SampleImage, mode: ThumbnailMode, heat: SaliencyMap? = nil) {
        self.image = image
        self.mode = mode
        self.heat = heat
    }

    /// The heat map as a one-channel image, when it has values.
    private var heatImage: SampleImage? {
        guard let heat, !heat.values.isEmpty else { return nil }
        return SampleImage(shape: ImageShape(channels: 1, height: heat.height, width: heat.width), pixels: heat.values)
    }

    /// Cells an image takes at `scale` (1 = one pixel per column, two pixel rows per cell).
    public static func cellSize(of shape: ImageShape, scale: Double) -> (width: Int, height: Int) {
        let w = max(1, Int((Double(shape.width) * scale).rounded()))
        let h = max(1, Int((Double(shape.height) * scale / 2).rounded(.up)))
        return (w, h)
    }

    /// The largest whole or half scale (at most `limit`) at which the image fits in `area`.
    public static func largestScale(
        of shape: ImageShape, fitting area: (width: Int, height: Int),
        limit: Double = 4
    ) -> Double? {
        var scale = limit
        while scale >= 0.25 {
            let size = cellSize(of: shape, scale: scale)
            if size.width <= area.width && size.height <= area.height { return scale }
            scale -= scale > 1 ? 0.5 : scale / 2
        }
        return nil
    }

    /// The mean RGB of the pixels of `image` under pixel row `half` (two per cell) of cell column
    /// `column` when the image fills `area`.
    private static func average(_ image: SampleImage, column: Int, half: Int, in area: Rect) -> (Int, Int, Int) {
        let sx = Double(image.shape.width) / Double(area.width)
        let sy = Double(image.shape.height) / Double(area.height * 2)
        let x0 = Double(column) * sx
        return average(image, x0: x0, x1: x0 + sx, y0: Double(half) * sy, y1: Double(half + 1) * sy)
    }

    /// The mean RGB of the pixels of `image` under the box [x0, x1) x [y0, y1) (its coordinates).
    private static func average(_ image: SampleImage, x0: Double, x1: Double, y0: Double, y1: Double) -> (Int, Int, Int)
    {
        let shape = image.shape
        let plane = shape.width * shape.height
        let cx0 = min(shape.width - 1, Int(x0)), cy0 = min(shape.height - 1, Int(y0))
        let cx1 = max(cx0 + 1, min(shape.width, Int(x1.rounded(.up))))
        let cy1 = max(cy0 + 1, min(shape.height, Int(y1.rounded(.up))))
        var sums = (0, 0, 0), n = 0
        for y in cy0..<cy1 {
            for x in cx0..<cx1 {
                let i = y * shape.width + x
                guard i < image.pixels.count else { continue }
                if shape.channels >= 3, i + 2 * plane < image.pixels.count {
                    sums.0 += Int(image.pixels[i]); sums.1 += Int(image.pixels[i + plane])
                    sums.2 += Int(image.pixels[i + 2 * plane])
                } else {
                    let v = Int(image.pixels[i])
                    sums.0 += v; sums.1 += v; sums.2 += v
                }
                n += 1
            }
        }
        return n == 0 ? (0, 0, 0) : (sums.0 / n, sums.1 / n, sums.2 / n)
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty, image.shape.width > 0, image.shape.height > 0 else { return }
        let heatImage = heatImage
        for row in 0..<area.height {
            for column in 0..<area.width {
                func colour(_ half: Int) -> (Int, Int, Int) {
                    let pixel = Self.average(image, column: column, half: 2 * row + half, in: area)
                    guard let heatImage else { return pixel }
                    let level = Self.average(heatImage, column: column, half: 2 * row + half, in: area).0
                    return mode == .ascii ? (level, level, level) : Self.blend(pixel, heat: level)
                }
                buffer[area.x + column, area.y + row] = cell(top: colour(0), bottom: colour(1))
            }
        }
    }

    /// The stops of the heat colours, evenly spaced from 0 to 255: a jet-like ramp whose hue alone
    /// tells the level, so the image's own colours need not be seen under it.
    static let heatStops: [(Int, Int, Int)] = [(0, 0, 128), (0, 96, 255), (0, 200, 120), (255, 220, 0), (230, 0, 0)]

    /// A pixel's grey under the heat colour of `level` (0...255): half and half.
    static func blend(_ pixel: (Int, Int, Int), heat level: Int) -> (Int, Int, Int) {
        let position = Double(min(255, max(0, level))) / 255 * Double(heatStops.count - 1)
        let low = min(Int(position), heatStops.count - 2), t = position - Double(low)
        let (a, b) = (heatStops[low], heatStops[low + 1])
        func mix(_ x: Int, _ y: Int) -> Double { Double(x) + (Double(y) - Double(x)) * t }
        let grey = Double(299 * pixel.0 + 587 * pixel.1 + 114 * pixel.2) / 1000
        return (
            Int(((grey + mix(a.0, b.0)) / 2).rounded()), Int(((grey + mix(a.1, b.1)) / 2).rounded()),
            Int(((grey + mix(a.2, b.2)) / 2).rounded())
        )
    }

    private func cell(top: (Int, Int, Int), bottom: (Int, Int, Int)) -> Cell {
        switch mode {
        case .halfBlock:
            return Cell(
                "▀",
                style: Style(
                    foreground: .rgb(UInt8(top.0), UInt8(top.1), UInt8(top.2)),
                    background: .rgb(UInt8(bottom.0), UInt8(bottom.1), UInt8(bottom.2))))
        case .ascii:
            func luminance(_ c: (Int, Int, Int)) -> Int { (299 * c.0 + 587 * c.1 + 114 * c.2) / 1000 }
            let l = (luminance(top) + luminance(bottom)) / 2
            return Cell(ThumbnailMode.ramp[l * (ThumbnailMode.ramp.count - 1) / 255])
        }
    }
}
