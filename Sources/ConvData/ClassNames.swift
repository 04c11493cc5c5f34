import Foundation

/// Class names of the well-known datasets, in label order, for folders that do not list them.
enum ClassNames {
    static let cifar10 = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]
    static let fashionMNIST = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    static let digits = (0..<10).map(String.init)
    /// The optional file in an IDX folder listing its class names, one per line.
    static let fileName = "classes.txt"
    /// KMNIST's ten hiragana, romanised as the dataset's authors list them.
    static let kmnist = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]

    /// The names of a known IDX family, for writing beside its downloaded files.
    static func idxFamily(_ name: DatasetName) -> [String]? {
        switch name {
        case .mnist: return digits
        case .fashionMNIST: return fashionMNIST
        case .kmnist: return kmnist
        case .cifar10, .cifar100: return nil
        }
    }

    /// Generic names for a dataset that names nothing.
    static func numbered(_ count: Int) -> [String] { (0..<count).map { "class \($0)" } }

    /// Reads a names file (one name per line, blank lines ignored); nil when absent.
    static func read(_ url: URL) throws -> [String]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let bytes = try FileBytes.read(url)
        return String(decoding: bytes, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
