import ConvProtocol

/// The confusion matrix as a heat map: rows are true classes, columns predicted classes; each cell
/// shows its count on a background whose strength is the cell's share of its row. Below, the cell
/// under the cursor, with the files of its images when the dataset has files.
public struct ConfusionMatrixView: Widget {
    public var matrix: ConfusionMatrix
    public var classNames: [String]
    public var cursor: MatrixPosition
    /// The files of the images in the cell under the cursor that the evaluation lists (its
    /// misclassified images, highest loss first); empty when the dataset has no file names.
    public var cellFiles: [String]
    public var theme: Theme

    public init(
        matrix: ConfusionMatrix, classNames: [String], cursor: MatrixPosition, cellFiles: [String] = [],
        theme: Theme
    ) {
        self.matrix = matrix
        self.classNames = classNames
        self.cursor = cursor
        self.cellFiles = cellFiles
        self.theme = theme
    }

    private func name(_ i: Int) -> String { i < classNames.count ? classNames[i] : "#\(i)" }

    /// Columns the matrix needs when its cells are as narrow as their counts allow.
    public static func narrowestWidth(of matrix: ConfusionMatrix, classNames: [String]) -> Int {
        let maxCount = matrix.counts.flatMap { $0 }.max() ?? 0
        return min(12, classNames.map(\.count).max() ?? 3) + 1 + matrix.classes * (String(maxCount).count + 2)
    }

    /// Heat colour for a share of the row: dark blue-grey through orange; correct cells in green.
    public static func heat(_ share: Double, diagonal: Bool) -> Color {
        let s = min(1, max(0, share))
        let from = (30.0, 34.0, 48.0)
        let to = diagonal ? (40.0, 170.0, 80.0) : (230.0, 110.0, 30.0)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * s.squareRoot()).rounded()) }
        return .rgb(mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
    }

    public func render(area: Rect, buffer: inout Buffer) {
        let n = matrix.classes
        guard n > 0, !area.isEmpty else { return }
        let maxCount = matrix.counts.flatMap { $0 }.max() ?? 0
        let nameWidth = min(12, classNames.map(\.count).max() ?? 3)
        // Wide enough for every count, and up to six columns so that the headers can say more.
        let cellWidth = max(String(maxCount).count + 2, min(6, (area.width - nameWidth - 1) / n))
        buffer.setString(x: area.x, y: area.y, "true ↓  predicted →", style: theme[.dim], maxWidth: area.width)
        let gridX = area.x + nameWidth + 1
        for c in 0..<n {
            buffer.setString(
                x: gridX + c * cellWidth, y: area.y + 1,
                Format.padLeft(String(name(c).prefix(cellWidth - 1)), cellWidth - 1),
                style: theme[c == cursor.column ? .title : .label], maxWidth: cellWidth - 1)
        }
        for t in 0..<n {
            let y = area.y + 2 + t
            guard y < area.bottom else { break }
            buffer.setString(
                x: area.x, y: y, Format.padRight(Format.truncate(name(t), nameWidth), nameWidth),
                style: theme[t == cursor.row ? .title : .label])
            let rowTotal = max(1, matrix.counts[t].reduce(0, +))
            for p in 0..<n {
                let count = matrix.counts[t][p]
                let share = Double(count) / Double(rowTotal)
                var style =
                    theme.hasColor
                    ? Style(
                        foreground: share > 0.45 ? .black : .brightWhite, background: Self.heat(share, diagonal: t == p)
                    )
                    : (share > 0.45 ? Style(modifiers: .bold) : count == 0 ? Style(modifiers: .dim) : .plain)
                if t == cursor.row && p == cursor.column { style = style.adding([.reverse, .bold, .underline]) }
                buffer.setString(
                    x: gridX + p * cellWidth, y: y, Format.padLeft(String(count), cellWidth - 1) + " ",
                    style: style, maxWidth: area.right - gridX - p * cellWidth)
            }
        }
        let infoY = area.y + 3 + n
        guard infoY < area.bottom else { return }
        let (t, p) = (cursor.row, cursor.column)
        let count = t < n && p < n ? matrix.counts[t][p] : 0
        let info =
            t == p
            ? "\(name(t)): \(Format.grouped(count)) correct"
            : "true \(name(t)), predicted \(name(p)): \(Format.grouped(count)) image\(count == 1 ? "" : "s") (enter to browse)"
        buffer.setString(x: area.x, y: infoY, info, style: theme[.text], maxWidth: area.width)
        if !cellFiles.isEmpty && infoY + 1 < area.bottom {
            buffer.setString(
                x: area.x, y: infoY + 1, Self.fileList(cellFiles, width: area.width), style: theme[.dim],
                maxWidth: area.width)
        }
    }

    /// "files: a/1.png, a/7.png, +3 more" in at most `width` characters: as many whole names as fit
    /// with the count of the rest, the first one cut at its start when even it does not fit.
    public static func fileList(_ files: [String], width: Int) -> String {
        var text = "files: "
        for (i, file) in files.enumerated() {
            let separator = i == 0 ? "" : ", "
            let rest = files.count - i - 1
            let more = rest > 0 ? ", +\(rest) more" : ""
            if text.count + separator.count + file.count + more.count > width {
                guard i == 0 else { return text + separator + "+\(files.count - i) more" }
                text += Format.truncateLeading(file, max(1, width - text.count - more.count))
            } else {
                text += separator + file
            }
        }
        return text
    }
}
