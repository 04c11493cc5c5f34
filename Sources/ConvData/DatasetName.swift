/// The datasets convtop knows by name: where to look for them and how to fetch them.
public enum DatasetName: String, CaseIterable, Sendable {
    case cifar10
    case cifar100
    case mnist
    case fashionMNIST = "fashion-mnist"
    case kmnist

    /// Parses a name as typed on the command line (`cifar10`, `fashion-mnist`, ...).
    public init(parsing text: String) throws {
        guard let name = DatasetName(rawValue: text.lowercased()) else { throw DataError.unknownDatasetName(text) }
        self = name
    }

    /// Digits and handwritten characters change meaning when mirrored.
    public var allowsHorizontalFlip: Bool {
        switch self {
        case .mnist, .kmnist: return false
        case .cifar10, .cifar100, .fashionMNIST: return true
        }
    }
}
