/// The screens of the dashboard.
public enum Screen: Sendable, Equatable, Hashable, CaseIterable {
    case main, help, misclassified, confusion, modelSummary, rangeTest, layerHealth

    /// Name shown in the help screen.
    public var title: String {
        switch self {
        case .main: "Everywhere"
        case .help: "Help"
        case .misclassified: "Misclassified browser (m)"
        case .confusion: "Confusion matrix (c)"
        case .modelSummary: "Model summary (i)"
        case .rangeTest: "Learning-rate range test (r)"
        case .layerHealth: "Layer health (w)"
        }
    }
}
