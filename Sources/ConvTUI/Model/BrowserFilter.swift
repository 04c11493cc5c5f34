import ConvProtocol

/// Which misclassified images the browser lists.
public enum BrowserFilter: Sendable, Equatable {
    case all
    case trueClass(Int)
    case predictedClass(Int)
    /// One cell of the confusion matrix.
    case cell(trueClass: Int, predictedClass: Int)

    public func includes(_ p: Prediction) -> Bool {
        switch self {
        case .all: true
        case .trueClass(let t): p.trueLabel == t
        case .predictedClass(let c): p.predictedLabel == c
        case .cell(let t, let c): p.trueLabel == t && p.predictedLabel == c
        }
    }
}
