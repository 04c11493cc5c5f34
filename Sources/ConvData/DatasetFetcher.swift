import Foundation

/// Downloads a dataset, checks it, and puts it in place all at once.
///
/// Everything happens in a hidden staging folder next to the destination; only a download
/// whose checksums match, whose archive extracts safely and whose files read as a dataset is
/// renamed into place. Any failure removes the staging folder, so no half dataset is left.
public struct DatasetFetcher: Sendable {
    /// Called as a file arrives: its name, the bytes so far and the total when known.
    public typealias Progress = @Sendable (_ file: String, _ received: Int64, _ total: Int64?) -> Void

    public var progress: Progress?

    public init(progress: Progress? = nil) {
        self.progress = progress
    }

    /// Fetches `source` into `destination` (which must not exist yet) and returns the dataset.
    @discardableResult
    public func fetch(_ source: DatasetSource, to destination: URL) throws -> Dataset {
        let manager = FileManager.default
        if manager.fileExists(atPath: destination.path) {
            throw DataError.alreadyExists(destination.path)
        }
        let parent = destination.deletingLastPathComponent()
        let stagingPrefix = ".\(destination.lastPathComponent).partial-"
        // A fetch killed by a signal never ran its cleanup; its staging folder goes now.
        for stale in (try? manager.contentsOfDirectory(atPath: parent.path)) ?? [] where stale.hasPrefix(stagingPrefix)
        {
            try? manager.removeItem(at: parent.appendingPathComponent(stale))
        }
        let staging = parent.appendingPathComponent(stagingPrefix + UUID().uuidString)
        let downloads = staging.appendingPathComponent("download")
        let content = staging.appendingPathComponent("content")
        do {
            for folder in [downloads, content] {
                try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            }
        } catch {
            throw DataError.unreadable(parent.path, reason: "cannot create a folder there")
        }
        defer { try? manager.removeItem(at: staging) }

        for file in source.files {
            let local = downloads.appendingPathComponent(file.name)
            let report = progress
            try HTTPDownload.download(file.url, to: local) { received, total in report?(file.name, received, total) }
            let actual = try Self.md5(of: local)
            guard actual == file.md5.lowercased() else {
                throw DataError.checksumMismatch(file: file.name, expected: file.md5.lowercased(), actual: actual)
            }
            switch source.packaging {
            case .tarball:
                try TarArchive.extract(local, to: content)
            case .files:
                try manager.moveItem(at: local, to: content.appendingPathComponent(file.name))
            }
        }
        if let classNames = source.classNames {
            try Data((classNames.joined(separator: "\n") + "\n").utf8)
                .write(to: content.appendingPathComponent(ClassNames.fileName))
        }
        let root = try Self.datasetRoot(content)
        let dataset = try Dataset.load(from: root)
        do {
            try manager.moveItem(at: root, to: destination)
        } catch {
            throw DataError.unreadable(destination.path, reason: "cannot move the dataset into place")
        }
        var placed = dataset
        placed.folder = destination.path
        return placed
    }

    /// An archive usually holds one top folder (`cifar-10-batches-bin/`): that is the dataset.
    private static func datasetRoot(_ content: URL) throws -> URL {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: content.path)) ?? []
        var isDirectory: ObjCBool = false
        if entries.count == 1,
            FileManager.default.fileExists(
                atPath: content.appendingPathComponent(entries[0]).path,
                isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            return content.appendingPathComponent(entries[0])
        }
        return content
    }

    /// The MD5 of a file, read a megabyte at a time.
    static func md5(of file: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw DataError.unreadable(file.lastPathComponent, reason: "cannot open the download")
        }
        defer { try? handle.close() }
        var digest = MD5()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw DataError.unreadable(file.lastPathComponent, reason: error.localizedDescription)
            }
            guard let chunk, !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { digest.update($0) }
        }
        return digest.hexDigest()
    }
}
