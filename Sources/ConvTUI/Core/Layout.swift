/// How much of a split one part takes.
public enum Constraint: Sendable, Equatable {
    /// Exactly this many cells (less when there is not enough room).
    case length(Int)
    /// This percentage of the whole.
    case percentage(Int)
    /// A share of what the fixed parts leave, in proportion to the weight.
    case fill(Int)
}

/// Which way a rectangle is cut.
public enum Direction: Sendable {
    /// Parts stacked top to bottom.
    case vertical
    /// Parts side by side, left to right.
    case horizontal
}

extension Rect {
    /// Cuts the rectangle into consecutive parts; the parts always cover it exactly (the last fill
    /// takes any rounding remainder) and never exceed it.
    public func split(_ direction: Direction, _ constraints: [Constraint], spacing: Int = 0) -> [Rect] {
        let total = max(0, (direction == .vertical ? height : width) - spacing * max(0, constraints.count - 1))
        var sizes = constraints.map { c -> Int in
            switch c {
            case .length(let n): return max(0, n)
            case .percentage(let p): return total * max(0, p) / 100
            case .fill: return 0
            }
        }
        let fixed = sizes.reduce(0, +)
        let weights = constraints.map { if case .fill(let w) = $0 { return max(0, w) } else { return 0 } }
        let weightSum = weights.reduce(0, +)
        if weightSum > 0 {
            let free = max(0, total - fixed)
            var given = 0
            let lastFill = weights.lastIndex { $0 > 0 }!
            for i in weights.indices where weights[i] > 0 {
                sizes[i] = i == lastFill ? free - given : free * weights[i] / weightSum
                given += sizes[i]
            }
        }
        var used = 0
        var parts: [Rect] = []
        for (i, size) in sizes.enumerated() {
            let s = max(0, min(size, total - used))
            let start = used + spacing * i
            parts.append(
                direction == .vertical
                    ? Rect(x: x, y: y + start, width: width, height: s)
                    : Rect(x: x + start, y: y, width: s, height: height))
            used += s
        }
        return parts
    }
}
