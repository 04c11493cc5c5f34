/// A rectangle of cells that widgets draw into; the terminal sends only what differs from the last frame.
///
/// Writes outside `area` are ignored, so a widget never has to clip by hand.
public struct Buffer: Sendable, Equatable {
    public private(set) var area: Rect
    public private(set) var cells: [Cell]

    public init(area: Rect) {
        self.area = area
        cells = Array(repeating: .blank, count: area.area)
    }

    /// A buffer whose rows are the given strings (padded with blanks to the longest), for tests.
    public init(lines: [String]) {
        let width = lines.map(\.count).max() ?? 0
        self.init(area: Rect(x: 0, y: 0, width: width, height: lines.count))
        for (row, line) in lines.enumerated() { setString(x: 0, y: row, line) }
    }

    private func index(_ x: Int, _ y: Int) -> Int? {
        area.contains(x: x, y: y) ? (y - area.y) * area.width + (x - area.x) : nil
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { index(x, y).map { cells[$0] } ?? .blank }
        set { if let i = index(x, y) { cells[i] = newValue } }
    }

    /// Writes `string` from (x, y) rightwards, cut at `maxWidth` columns and at the buffer's edge.
    /// Returns the column after the last character written.
    @discardableResult
    public mutating func setString(
        x: Int, y: Int, _ string: String, style: Style = .plain,
        maxWidth: Int = .max
    ) -> Int {
        var column = x
        for character in string {
            if column - x >= maxWidth || column >= area.right { break }
            self[column, y] = Cell(character, style: style)
            column += 1
        }
        return column
    }

    /// Sets the style of every cell in `rect`, keeping the symbols.
    public mutating func setStyle(_ rect: Rect, _ style: Style) {
        let r = rect.intersection(area)
        for y in r.top..<r.bottom { for x in r.left..<r.right { self[x, y].style = style } }
    }

    /// The cells of `self` that differ from `previous`, as (x, y, cell); every cell when the areas differ.
    public func diff(from previous: Buffer) -> [(x: Int, y: Int, cell: Cell)] {
        var changes: [(x: Int, y: Int, cell: Cell)] = []
        let sameArea = previous.area == area
        for (i, cell) in cells.enumerated() where !sameArea || previous.cells[i] != cell {
            changes.append((area.x + i % area.width, area.y + i / area.width, cell))
        }
        return changes
    }

    /// The symbols of each row as a string, for tests and text captures.
    public var lines: [String] {
        (0..<area.height).map { row in
            String(cells[(row * area.width)..<((row + 1) * area.width)].map(\.symbol))
        }
    }
}
