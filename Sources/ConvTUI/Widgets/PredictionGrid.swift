import ConvTraining

/// The fixed sample of test images as thumbnails, each with its predicted class, marked right
/// (✓) or wrong (✗) in colour; as many as fit, at full size when there is room.
public struct PredictionGrid: Widget {
    public var samples: [Prediction]
    public var classNames: [String]
    public var mode: ThumbnailMode
    public var theme: Theme

    public init(samples: [Prediction], classNames: [String], mode: ThumbnailMode, theme: Theme) {
        self.samples = samples
        self.classNames = classNames
        self.mode = mode
        self.theme = theme
    }

    /// Thumbnail size in cells and how many fit across and down: full size when at least three fit,
    /// else half size when two fit, else a quarter.
    public func grid(in area: Rect) -> (cell: (width: Int, height: Int), columns: Int, rows: Int)? {
        guard let shape = samples.first?.image.shape else { return nil }
        for (scale, wanted) in [(1.0, 3), (0.5, 2), (0.25, 1)] {
            let size = Thumbnail.cellSize(of: shape, scale: scale)
            let columns = (area.width + 1) / (max(size.width, 8) + 1)
            let rows = area.height / (size.height + 1)
            if columns * rows >= min(wanted, samples.count) {
                return (size, columns, rows)
            }
        }
        return nil
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard let (size, columns, rows) = grid(in: area) else { return }
        let slot = max(size.width, 8) + 1
        for (i, sample) in samples.prefix(columns * rows).enumerated() {
            let x = area.x + (i % columns) * slot
            let y = area.y + (i / columns) * (size.height + 1)
            Thumbnail(image: sample.image, mode: mode)
                .render(area: Rect(x: x, y: y, width: size.width, height: size.height), buffer: &buffer)
            let name = sample.predictedLabel < classNames.count ? classNames[sample.predictedLabel] : "#\(sample.predictedLabel)"
            let mark = sample.isCorrect ? "✓ " : "✗ "
            buffer.setString(x: x, y: y + size.height, Format.truncate(mark + name, slot - 1),
                             style: theme[sample.isCorrect ? .right : .wrong])
        }
    }
}
