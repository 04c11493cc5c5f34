import Foundation

/// Locates the Fashion-MNIST subset that ships in the repository's `Assets/` folder.
///
/// The executable may run from `.build/<triple>/release/`, through `swift run`, or from a copy
/// installed next to an `Assets/` folder, so both the executable's ancestors and the source
/// tree this file was compiled from are searched.
public enum ShippedSubset {
    /// Folder name of the subset inside `Assets/`.
    public static let folderName = "fashion-mnist-subset"

    /// The subset's folder, or nil when no `Assets/` folder is reachable.
    public static var folder: URL? {
        candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("train-images-idx3-ubyte.gz").path)
        }
    }

    static var candidates: [URL] {
        var roots = [URL]()
        // /proc/self/exe on Linux: right even when the program was found through $PATH.
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ""))
            .resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            roots.append(directory)
            directory = directory.deletingLastPathComponent()
        }
        // Sources/ConvData/ShippedSubset.swift -> the package root.
        roots.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent())
        return roots.map { $0.appendingPathComponent("Assets").appendingPathComponent(folderName) }
    }
}
