extension ConfusionMatrix {
    /// One off-diagonal cell: how many images of `trueLabel` the model called `predictedLabel`.
    public struct Confusion: Sendable, Equatable {
        public var trueLabel: Int
        public var predictedLabel: Int
        public var count: Int

        public init(trueLabel: Int, predictedLabel: Int, count: Int) {
            self.trueLabel = trueLabel
            self.predictedLabel = predictedLabel
            self.count = count
        }
    }

    /// The off-diagonal cells with at least `minimum` images, most images first; cells with equal
    /// counts keep row-major order (true class, then predicted class), as fastai's `most_confused`
    /// does with its stable sort.
    public func mostConfused(minimum: Int = 1) -> [Confusion] {
        var cells: [Confusion] = []
        for t in counts.indices {
            for p in counts[t].indices where p != t && counts[t][p] >= max(1, minimum) {
                cells.append(Confusion(trueLabel: t, predictedLabel: p, count: counts[t][p]))
            }
        }
        return cells.enumerated().sorted { ($0.element.count, $1.offset) > ($1.element.count, $0.offset) }.map(
            \.element)
    }
}
