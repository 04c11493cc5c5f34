import Foundation

/// What `--model` names: a built-in preset, or a network file. Encoded as the name or path it
/// was given as, so a configuration naming a preset reads as it did when it held `ModelPreset`.
public enum ModelChoice: Equatable, Sendable, Codable {
    case preset(ModelPreset)
    /// The path of a network file, as the user wrote it.
    case file(String)

    /// A preset's name, or else a path.
    public init(_ argument: String) {
        self = ModelPreset(rawValue: argument).map(ModelChoice.preset) ?? .file(argument)
    }

    /// The preset's name or the path, as given.
    public var argument: String {
        switch self {
        case .preset(let preset): preset.rawValue
        case .file(let path): path
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(argument)
    }

    /// Reads and parses the network; a file is named after its last path component without the
    /// extension (`nets/vgg.net` is `vgg`).
    public func load() throws(NetworkError) -> NetworkFile {
        switch self {
        case .preset(let preset):
            return preset.network
        case .file(let path):
            func failure(_ message: String) -> NetworkError {
                NetworkError(file: path, line: 0, column: 0, message: message)
            }
            let url = URL(fileURLWithPath: path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else {
                throw failure(
                    "no such network file, and no preset of that name ("
                        + ModelPreset.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            guard size <= NetworkFile.byteLimit else {
                throw failure(
                    "the file has \(size) bytes, more than the \(NetworkFile.byteLimit) a network file may have")
            }
            guard let data = try? Data(contentsOf: url) else { throw failure("the file cannot be read") }
            guard let text = String(data: data, encoding: .utf8) else { throw failure("the file is not UTF-8 text") }
            return try NetworkFile(text: text, file: path, name: url.deletingPathExtension().lastPathComponent)
        }
    }
}
