import Foundation

/// Class names of the well-known datasets, in label order, for folders that do not list them.
enum ClassNames {
    static let cifar10 = ["airplane", "automobile", "bird", "cat", "deer",
                          "dog", "frog", "horse", "ship", "truck"]
    static let fashionMNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    static let digits = (0..<10).map(String.init)
    /// KMNIST's ten hiragana, romanised as the dataset's authors list them.
    static let kmnist = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]

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
