import Foundation

/// Finds dataset folders: by path, by name in the usual places, or the default dataset.
public struct DatasetLocator: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String
    public var currentDirectory: String
    /// Where Debian's `dataset-*` packages install (`/usr/share/datasets`).
    public var systemDatasets: String
    /// The small Fashion-MNIST subset shipped in `Assets/`, if it can be found.
    public var shippedSubset: URL?

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String = FileManager.default.homeDirectoryForCurrentUser.path,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        systemDatasets: String = "/usr/share/datasets",
        shippedSubset: URL? = ShippedSubset.folder
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.currentDirectory = currentDirectory
        self.systemDatasets = systemDatasets
        self.shippedSubset = shippedSubset
    }

    /// The folders searched for a named dataset, in order: `$CONVTOP_DATA/NAME`,
    /// `~/.cache/convtop/NAME`, `/usr/share/datasets/NAME`, `./data/NAME`.
    public func searchPaths(for name: DatasetName) -> [URL] {
        var roots = [String]()
        if let custom = environment["CONVTOP_DATA"], !custom.isEmpty { roots.append(custom) }
        roots.append(homeDirectory + "/.cache/convtop")
        roots.append(systemDatasets)
        roots.append(currentDirectory + "/data")
        return roots.map { URL(fileURLWithPath: $0).appendingPathComponent(name.rawValue) }
    }

    /// Where `convtop data fetch` puts a dataset when no `--to` is given.
    public func fetchDestination(for name: DatasetName) -> URL {
        if let custom = environment["CONVTOP_DATA"], !custom.isEmpty {
            return URL(fileURLWithPath: custom).appendingPathComponent(name.rawValue)
        }
        return URL(fileURLWithPath: homeDirectory + "/.cache/convtop").appendingPathComponent(name.rawValue)
    }

    /// Where decoded image folders are cached: `$CONVTOP_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/convtop/images`, else `~/.cache/convtop/images`.
    public var imageCacheFolder: URL {
        if let custom = environment["CONVTOP_CACHE_DIR"], !custom.isEmpty { return URL(fileURLWithPath: custom) }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? homeDirectory + "/.cache"
        return URL(fileURLWithPath: cache).appendingPathComponent("convtop/images")
    }

    /// The first search path holding the dataset, or `.datasetNotFound` listing every place looked at.
    public func locate(_ name: DatasetName) throws -> URL {
        let candidates = searchPaths(for: name)
        if let found = candidates.first(where: isFolder) { return found }
        throw DataError.datasetNotFound(name: name.rawValue, searched: candidates.map(\.path))
    }

    /// Fashion-MNIST from the Debian package when installed, otherwise the shipped subset.
    public func defaultDataset() throws -> URL {
        let system = URL(fileURLWithPath: systemDatasets).appendingPathComponent(DatasetName.fashionMNIST.rawValue)
        if isFolder(system) { return system }
        if let shippedSubset, isFolder(shippedSubset) { return shippedSubset }
        throw DataError.datasetNotFound(
            name: DatasetName.fashionMNIST.rawValue,
            searched: [system.path] + (shippedSubset.map { [$0.path] } ?? []))
    }

    /// The folder for `--data PATH` or `--dataset NAME` (at most one of them), or the default.
    public func resolve(data: String?, dataset: String?) throws -> URL {
        switch (data, dataset) {
        case (.some, .some):
            throw DataError.invalidOption("--data and --dataset cannot be used together")
        case (.some(let path), nil):
            return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: currentDirectory + "/"))
                .standardizedFileURL
        case (nil, .some(let name)):
            return try locate(DatasetName(parsing: name))
        case (nil, nil):
            return try defaultDataset()
        }
    }

    private func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
