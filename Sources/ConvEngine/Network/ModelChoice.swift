import Foundation

/// What `--model` names: a built-in preset, or a network file.
public enum ModelChoice: Equatable, Sendable {
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

    /// Reads and parses the network; a file is named after its last path component without the
    /// extension (`nets/vgg.net` is `vgg`).
    public func load() throws(NetworkError) -> NetworkFile {
        switch self {
        case .preset(let preset):
            return preset.network
        case .file(let path):
            func failure(_ message: String) -> NetworkError { NetworkError(file: path, line: 1, column: 1, message: message) }
            let url = URL(fileURLWithPath: path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else {
                throw failure("no such network file (and no preset of that name: "
                    + ModelPreset.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            guard size <= NetworkFile.byteLimit else {
                throw failure("the file has \(size) bytes, more than the \(NetworkFile.byteLimit) a network file may have")
            }
            guard let data = try? Data(contentsOf: url) else { throw failure("cannot be read") }
            guard let text = String(data: data, encoding: .utf8) else { throw failure("is not UTF-8 text") }
            return try NetworkFile(text: text, file: path, name: url.deletingPathExtension().lastPathComponent)
        }
    }
}
