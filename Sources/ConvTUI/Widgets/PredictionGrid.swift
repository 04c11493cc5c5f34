import ConvProtocol

/// The fixed sample of test images as thumbnails, each with its predicted class, marked right
/// (✓) or wrong (✗) in colour, and its file's name below when the images have files and there is
/// a spare row for it; larger areas show more of them, and larger ones.
public struct PredictionGrid: Widget {
    public var samples: [Prediction]
    public var classNames: [String]
    public var mode: ThumbnailMode
    public var theme: Theme
    /// Saliency maps drawn over the thumbnails, by image index.
    public var heatMaps: [Int: SaliencyMap]

    public init(
        samples: [Prediction], classNames: [String], mode: ThumbnailMode, theme: Theme,
        heatMaps: [Int: SaliencyMap] = [:]
    ) {
        self.samples = samples
        self.classNames = classNames
        self.mode = mode
        self.theme = theme
        self.heatMaps = heatMaps
    }

    /// Fewest thumbnails the grid tries to show before it settles for larger ones.
    public static let minimumCount = 6
    /// Narrowest thumbnail, in cells: below it a shoe is a smudge.
    public static let minimumWidth = 6

    /// Thumbnail size in cells and how many fit across and down. Half size (one cell per two pixel
    /// columns) when that shows every sample or at least `minimumCount`; smaller when it takes that to
    /// show `minimumCount`; then as large as the space allows without showing fewer (up to full size).
    /// File names get a row under the labels only when the rows in use leave room for it: they
    /// never cost a thumbnail.
    public func grid(in area: Rect) -> (cell: (width: Int, height: Int), columns: Int, rows: Int, showsFiles: Bool)? {
        guard let shape = samples.first?.image.shape, shape.width > 0 else { return nil }
        func layout(_ width: Int) -> (cell: (width: Int, height: Int), columns: Int, rows: Int, count: Int) {
            // One cell shows one pixel column and two pixel rows, so square pixels take half as many rows.
            let height = max(1, (width * shape.height + 2 * shape.width - 1) / (2 * shape.width))
            let columns = (area.width + 1) / (max(width, 8) + 1)
            let rows = area.height / (height + 1)
            return ((width, height), columns, rows, min(samples.count, columns * rows))
        }
        let full = max(Self.minimumWidth, shape.width), half = max(Self.minimumWidth, shape.width / 2)
        let wanted = min(samples.count, Self.minimumCount)
        var width = half
        if layout(half).count < wanted {
            let sizes = (Self.minimumWidth...half).reversed()
            width =
                sizes.first { layout($0).count >= wanted }
                ?? sizes.max { (layout($0).count, $0) < (layout($1).count, $1) }!
        }
        let count = layout(width).count
        guard count > 0 else { return nil }
        while width < full && layout(width + 1).count >= count { width += 1 }
        let chosen = layout(width)
        let usedRows = (chosen.count + chosen.columns - 1) / chosen.columns
        let showsFiles =
            samples.contains { $0.fileName != nil } && usedRows * (chosen.cell.height + 2) <= area.height
        return (chosen.cell, chosen.columns, chosen.rows, showsFiles)
    }

    public func render(area: Rect, buffer: inout Buffer) {
        guard let (size, columns, rows, showsFiles) = grid(in: area) else { return }
        let slot = max(size.width, 8) + 1
        for (i, sample) in samples.prefix(columns * rows).enumerated() {
            let x = area.x + (i % columns) * slot
            let y = area.y + (i / columns) * (size.height + (showsFiles ? 2 : 1))
            Thumbnail(image: sample.image, mode: mode, heat: heatMaps[sample.index])
                .render(area: Rect(x: x, y: y, width: size.width, height: size.height), buffer: &buffer)
            let name =
                sample.predictedLabel < classNames.count
                ? classNames[sample.predictedLabel] : "#\(sample.predictedLabel)"
            let mark = sample.isCorrect ? "✓ " : "✗ "
            buffer.setString(
                x: x, y: y + size.height, Format.truncate(mark + name, slot - 1),
                style: theme[sample.isCorrect ? .right : .wrong])
            if showsFiles, let file = sample.fileName {
                // The file's own name without its folders (the class and split), its end kept when cut.
                let name = file.split(separator: "/").last.map(String.init) ?? file
                buffer.setString(
                    x: x, y: y + size.height + 1, Format.truncateLeading(name, slot - 1), style: theme[.dim])
            }
        }
    }
}
