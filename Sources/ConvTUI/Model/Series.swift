/// A point of a chart: `x` (a step or an epoch) and `y`.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A history of points that never holds more than `capacity` of them: when full, neighbouring
/// points are averaged in pairs and later points are averaged in buckets twice as large, so a run of
/// hours keeps a flat memory and still covers its whole length.
public struct Series: Sendable, Equatable {
    public let capacity: Int
    /// The complete buckets, then the partial average of the last one, kept up to date on every
    /// append so that reading them (every frame) costs nothing.
    public private(set) var points: [ChartPoint] = []
    /// How many appended points each stored point averages.
    public private(set) var bucketSize = 1
    private var pendingX = 0.0, pendingY = 0.0, pendingCount = 0

    public init(capacity: Int) {
        precondition(capacity >= 2, "a series needs room for two points")
        self.capacity = capacity
        points.reserveCapacity(capacity + 1)
    }

    public var last: ChartPoint? { points.last }
    public var isEmpty: Bool { points.isEmpty }

    /// Adds a point; points with a non-finite `y` (a diverged loss) are not charted.
    public mutating func append(_ point: ChartPoint) {
        guard point.y.isFinite, point.x.isFinite else { return }
        if pendingCount > 0 { points.removeLast() }
        pendingX += point.x
        pendingY += point.y
        pendingCount += 1
        points.append(ChartPoint(x: pendingX / Double(pendingCount), y: pendingY / Double(pendingCount)))
        guard pendingCount == bucketSize else { return }
        pendingX = 0; pendingY = 0; pendingCount = 0
        if points.count >= capacity { halve() }
    }

    /// Removes the points past `x` and returns them, oldest first: what an undo abandoned. The
    /// last point kept closes its bucket, so later points start a new one.
    public mutating func truncate(after x: Double) -> [ChartPoint] {
        let kept = points.prefix { $0.x <= x }.count
        let removed = Array(points[kept...])
        points.removeSubrange(kept...)
        pendingX = 0; pendingY = 0; pendingCount = 0
        return removed
    }

    private mutating func halve() {
        points = stride(from: 0, to: points.count - 1, by: 2).map { i in
            ChartPoint(x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2)
        }
        bucketSize *= 2
    }
}
