/// A grid of braille characters used as a bitmap of 2x4 dots per cell.
public struct BrailleCanvas: Sendable {
    public let columns: Int
    public let rows: Int
    private var masks: [UInt8]
    private var styles: [Style]

    /// Bit of each dot in a braille character (U+2800 + mask), indexed [row][column] within a cell.
    static let dotBits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        masks = Array(repeating: 0, count: self.columns * self.rows)
        styles = Array(repeating: .plain, count: self.columns * self.rows)
    }

    /// Dots across and down.
    public var dotWidth: Int { columns * 2 }
    public var dotHeight: Int { rows * 4 }

    /// Sets the dot at (x, y), counted from the top-left; the cell takes `style` (the last series wins).
    public mutating func set(x: Int, y: Int, style: Style) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y / 4) * columns + x / 2
        masks[cell] |= Self.dotBits[y % 4][x % 2]
        styles[cell] = style
    }

    /// Draws a straight line of dots between two points (Bresenham).
    /// Only the part on the canvas is stepped through: an end far off it (a diverging loss on an
    /// axis zoomed in on the valley) would otherwise cost a step per dot up to it.
    public mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), style: Style) {
        guard let (a, b) = clipped(a, b) else { return }
        var (x, y) = a
        let dx = abs(b.x - a.x), dy = -abs(b.y - a.y)
        let sx = a.x < b.x ? 1 : -1, sy = a.y < b.y ? 1 : -1
        var error = dx + dy
        while true {
            set(x: x, y: y, style: style)
            if x == b.x && y == b.y { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// The part of the segment from `a` to `b` on the canvas, its ends rounded to dots
    /// (Liang-Barsky); nil when none of it is.
    private func clipped(_ a: (x: Int, y: Int), _ b: (x: Int, y: Int)) -> ((x: Int, y: Int), (x: Int, y: Int))? {
        let on = { (p: (x: Int, y: Int)) in p.x >= 0 && p.y >= 0 && p.x < dotWidth && p.y < dotHeight }
        if on(a) && on(b) { return (a, b) }
        guard dotWidth > 0, dotHeight > 0 else { return nil }
        let x0 = Double(a.x), y0 = Double(a.y), dx = Double(b.x) - x0, dy = Double(b.y) - y0
        var enter = 0.0, leave = 1.0
        // Each edge as p * t <= q: left, right, top, bottom.
        for (p, q) in [(-dx, x0), (dx, Double(dotWidth - 1) - x0), (-dy, y0), (dy, Double(dotHeight - 1) - y0)] {
            if p == 0 {
                if q < 0 { return nil }
            } else if p < 0 {
                enter = max(enter, q / p)
            } else {
                leave = min(leave, q / p)
            }
        }
        guard enter <= leave else { return nil }
        let point = { (t: Double) in (x: Int((x0 + t * dx).rounded()), y: Int((y0 + t * dy).rounded())) }
        return (point(enter), point(leave))
    }

    /// Copies the non-empty cells into the buffer with their top-left at (x, y).
    public func render(x: Int, y: Int, buffer: inout Buffer) {
        for row in 0..<rows {
            for column in 0..<columns where masks[row * columns + column] != 0 {
                let i = row * columns + column
                let symbol = Character(Unicode.Scalar(0x2800 + UInt32(masks[i]))!)
                buffer[x + column, y + row] = Cell(symbol, style: styles[i])
            }
        }
    }
}
