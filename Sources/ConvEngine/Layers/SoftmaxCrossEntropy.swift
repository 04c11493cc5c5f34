import Foundation

/// Softmax cross-entropy over class logits, averaged over the batch, as
/// `torch.nn.functional.cross_entropy(logits, labels, label_smoothing: s)`.
///
/// With smoothing s over K classes the target is (1 - s) on the label plus s / K on every class.
public final class SoftmaxCrossEntropy {
    public var labelSmoothing: Float
    /// dLoss/dLogits (N, K) of the latest `forward`; pass it to `Model.backward`.
    public let gradient = Tensor(shape: [0])
    private var rowLosses: [Double] = []

    public init(labelSmoothing: Float = 0) {
        self.labelSmoothing = labelSmoothing
    }

    /// logits (N, K), labels N class indices in 0..<K. Returns the loss summed over the rows (in
    /// `BatchSummation`'s order) and divided by `rows` (N by default; a data-parallel rank passes
    /// its global batch's count, so that the ranks' losses and gradients add up to the batch's),
    /// and how many rows have their largest logit (the first, on ties) at the label; fills
    /// `gradient` with the loss's gradient.
    public func forward(logits: Tensor, labels: [Int], averagedOver rows: Int? = nil) -> (loss: Float, correct: Int) {
        precondition(
            logits.shape.count == 2 && logits.shape[0] == labels.count,
            "cross-entropy expects (N, K) logits for \(labels.count) labels, got \(logits.shape)")
        let n = logits.shape[0], k = logits.shape[1], rows = rows ?? n
        precondition(rows >= n, "cross-entropy averaged over \(rows) rows, fewer than the \(n) given")
        gradient.resize(to: logits.shape)
        rowLosses.removeAll(keepingCapacity: true)
        let offValue = labelSmoothing / Float(k), onValue = 1 - labelSmoothing + offValue
        var correct = 0
        for i in 0..<n {
            let row = logits.data + i * k, grad = gradient.data + i * k
            let label = labels[i]
            precondition(label >= 0 && label < k, "label \(label) outside 0..<\(k)")
            var maxValue = row[0], maxIndex = 0
            for j in 1..<k where row[j] > maxValue {
                maxValue = row[j]
                maxIndex = j
            }
            if maxIndex == label { correct += 1 }
            var sum: Float = 0
            for j in 0..<k {
                grad[j] = Foundation.exp(row[j] - maxValue)
                sum += grad[j]
            }
            let logSum = Foundation.log(sum)
            var rowLoss: Float = 0
            for j in 0..<k {
                let target = j == label ? onValue : offValue
                let logProbability = row[j] - maxValue - logSum
                rowLoss -= target * logProbability
                grad[j] = (grad[j] / sum - target) / Float(rows)
            }
            rowLosses.append(Double(rowLoss))
        }
        let total = BatchSummation(samples: n).sum { rowLosses[$0] }
        return (Float(total / Double(max(1, rows))), correct)
    }
}
