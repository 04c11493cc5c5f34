/// Maps widget colours to the colour numbers a terminal of a given depth understands
/// (-1 is the terminal's default colour, as with curses' `use_default_colors`).
public enum TerminalColor {
    /// The six levels of each channel in the xterm 6x6x6 colour cube (indices 16-231).
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The colour number for `color` on a terminal with `depth`.
    public static func number(_ color: Color, depth: ColorDepth) -> Int32 {
        switch (color, depth) {
        case (.reset, _), (_, .monochrome):
            return -1
        case (.indexed(let i), .palette256):
            return Int32(i)
        case (.indexed(let i), .direct) where i < 8:
            // Direct-colour terminfo keeps 0-7 as the terminal's ANSI colours.
            return Int32(i)
        case (.indexed(let i), .direct):
            let (r, g, b) = rgb(ofPaletteIndex: i)
            return packed(r, g, b)
        case (.indexed(let i), .basic):
            return i < 16 ? Int32(i % 8) : nearestBasic(rgb(ofPaletteIndex: i))
        case (.rgb(let r, let g, let b), .direct):
            return packed(Int(r), Int(g), Int(b))
        case (.rgb(let r, let g, let b), .palette256):
            return nearest256(Int(r), Int(g), Int(b))
        case (.rgb(let r, let g, let b), .basic):
            return nearestBasic((Int(r), Int(g), Int(b)))
        }
    }

    private static func packed(_ r: Int, _ g: Int, _ b: Int) -> Int32 {
        // Values 0-7 would be read as ANSI colours; nudge near-black up one step of blue.
        let value = r << 16 | g << 8 | b
        return Int32(value < 8 ? 8 : value)
    }

    /// The nearest entry of the 256-colour palette, choosing between the colour cube and the
    /// 24-step grey ramp (232-255), which renders greys far more finely than the cube.
    public static func nearest256(_ r: Int, _ g: Int, _ b: Int) -> Int32 {
        func level(_ v: Int) -> Int {
            var best = 0
            for (i, l) in cubeLevels.enumerated() where abs(l - v) < abs(cubeLevels[best] - v) { best = i }
            return best
        }
        let (ri, gi, bi) = (level(r), level(g), level(b))
        let cube = (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi])
        let grayIndex = max(0, min(23, ((r + g + b) / 3 - 8 + 5) / 10))
        let grayValue = 8 + 10 * grayIndex
        func distance(_ c: (Int, Int, Int)) -> Int {
            (c.0 - r) * (c.0 - r) + (c.1 - g) * (c.1 - g) + (c.2 - b) * (c.2 - b)
        }
        if distance((grayValue, grayValue, grayValue)) < distance(cube) { return Int32(232 + grayIndex) }
        return Int32(16 + 36 * ri + 6 * gi + bi)
    }

    /// The nearest of the eight ANSI colours: each channel on or off.
    static func nearestBasic(_ c: (Int, Int, Int)) -> Int32 {
        Int32((c.0 > 127 ? 1 : 0) | (c.1 > 127 ? 2 : 0) | (c.2 > 127 ? 4 : 0))
    }

    /// The RGB value xterm shows for a palette index.
    public static func rgb(ofPaletteIndex i: UInt8) -> (Int, Int, Int) {
        let base: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
            (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
            (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        let n = Int(i)
        if n < 16 { return base[n] }
        if n >= 232 { let v = 8 + 10 * (n - 232); return (v, v, v) }
        let c = n - 16
        return (cubeLevels[c / 36], cubeLevels[c / 6 % 6], cubeLevels[c % 6])
    }
}
