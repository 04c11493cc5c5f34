import ConvProtocol

/// The model screen (`i`): the running model's table as `convtop model summary` prints it (layer,
/// output shape, parameters, multiply-adds, convolution algorithm) from row `scroll` on, the
/// totals in the title, the rows shown in the header when not all fit, and under the table where
/// `--init-from` took the starting weights.
public struct ModelSummaryView: Widget {
    public var run: RunModel
    public var scroll: Int
    public var theme: Theme

    public init(run: RunModel, scroll: Int, theme: Theme) {
        self.run = run
        self.scroll = scroll
        self.theme = theme
    }

    static let header = ["Layer", "Output shape", "Param #", "Mult-adds", "Algorithm"]
    /// Columns written right-aligned, as numbers are.
    private static let numeric: Set<Int> = [1, 2, 3]

    public func render(area: Rect, buffer: inout Buffer) {
        guard area.height > 0 else { return }
        guard let summary = run.summary, let table = summary.modelTable else {
            let reason =
                run.summary == nil
                ? "the run has not started yet" : "this run did not send its layers (a convtop without the table)"
            buffer.setString(
                x: area.x, y: area.y, "Model summary: \(reason)", style: theme[.title], maxWidth: area.width)
            return
        }
        let footer = Self.footer(run: run, width: area.width)
        let first = min(scroll, Self.lastScroll(run: run, in: area))
        let shown = min(Self.visibleRows(run: run, in: area), table.rows.count - first)
        let shape = summary.imageShape
        buffer.setString(
            x: area.x, y: area.y,
            "\(summary.modelName): \(Format.grouped(table.parameters)) parameters, "
                + "\(Format.grouped(table.multiplyAdds)) mult-adds per \(shape.channels)x\(shape.height)x\(shape.width) image",
            style: theme[.title], maxWidth: area.width)
        var header = Self.header
        if shown < table.rows.count { header[0] += ", rows \(first + 1)-\(first + shown) of \(table.rows.count)" }

        // Widths come from every row, not the visible ones, so that columns stay put while scrolling.
        let cells = table.rows.map(Self.cells)
        var widths = Self.header.indices.map { column in
            (cells.map { $0[column].count } + [Self.header[column].count]).max()!
        }
        widths[0] = max(Self.header[0].count, area.width - widths.dropFirst().reduce(0, +) - 2 * (widths.count - 1))
        func line(_ row: [String]) -> String {
            row.indices.map { column in
                Self.numeric.contains(column)
                    ? Format.padLeft(row[column], widths[column])
                    : Format.padRight(Format.truncate(row[column], widths[column]), widths[column])
            }.joined(separator: "  ")
        }
        guard area.height > 1 else { return }
        buffer.setString(x: area.x, y: area.y + 1, line(header), style: theme[.label], maxWidth: area.width)
        for (offset, row) in cells[first..<first + shown].enumerated() {
            buffer.setString(x: area.x, y: area.y + 2 + offset, line(row), style: theme[.text], maxWidth: area.width)
        }
        for (offset, text) in footer.enumerated() where area.height - footer.count + offset > 1 {
            buffer.setString(
                x: area.x, y: area.bottom - footer.count + offset, text, style: theme[.dim], maxWidth: area.width)
        }
    }

    /// The largest useful `scroll` in `area`: the one that shows the table's last screenful (at
    /// least its last row).
    public static func lastScroll(run: RunModel, in area: Rect) -> Int {
        max(0, (run.summary?.modelTable?.rows.count ?? 0) - max(1, visibleRows(run: run, in: area)))
    }

    /// The table rows that fit under the title and the header, above the `--init-from` lines.
    private static func visibleRows(run: RunModel, in area: Rect) -> Int {
        max(0, area.height - 2 - footer(run: run, width: area.width).count)
    }

    private static func footer(run: RunModel, width: Int) -> [String] {
        run.initialization.map { Format.wrapped($0.description, width: width) } ?? []
    }

    /// A row's cells: the layer indented by its depth, the shape as CxHxW, counts with separators
    /// ("-" for none), the algorithm.
    private static func cells(_ row: ModelTable.Row) -> [String] {
        [
            String(repeating: "  ", count: row.depth) + "\(row.name): \(row.layer)",
            row.outputShape.map(String.init).joined(separator: "x"),
            row.parameters > 0 ? Format.grouped(row.parameters) : "-",
            row.multiplyAdds > 0 ? Format.grouped(row.multiplyAdds) : "-",
            row.algorithm,
        ]
    }
}
