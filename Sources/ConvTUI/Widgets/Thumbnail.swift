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
public struct Thumbnail: Widget {
    public var image: SampleImage
    public var mode: ThumbnailMode

    public init(image: SampleImage, mode: ThumbnailMode) {
        self.image = image
        self.mode = mode
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

    /// The mean RGB of the source pixels under the box [x0, x1) x [y0, y1) (source coordinates).
    private func average(x0: Double, x1: Double, y0: Double, y1: Double) -> (Int, Int, Int) {
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
        let sx = Double(image.shape.width) / Double(area.width)
        let sy = Double(image.shape.height) / Double(area.height * 2)
        for row in 0..<area.height {
            for column in 0..<area.width {
                let x0 = Double(column) * sx, x1 = x0 + sx
                let top = average(x0: x0, x1: x1, y0: Double(2 * row) * sy, y1: Double(2 * row + 1) * sy)
                let bottom = average(x0: x0, x1: x1, y0: Double(2 * row + 1) * sy, y1: Double(2 * row + 2) * sy)
                buffer[area.x + column, area.y + row] = cell(top: top, bottom: bottom)
            }
        }
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
