import ConvData
import Foundation
import Synchronization
import Testing

/// The whole fetch path against a local server: download, checksum, extraction, rename.
@Suite struct DatasetFetcherTests {
    /// A CIFAR-10 archive as published: everything under `cifar-10-batches-bin/`.
    static func cifarArchive(extra: (inout TarFile) -> Void = { _ in }) throws -> [UInt8] {
        let temp = try TemporaryFolder()
        try DatasetFiles.writeCIFAR10(to: temp.url, perBatch: 2, testCount: 2)
        var tar = TarFile()
        tar.add("cifar-10-batches-bin/", type: .directory)
        for name in try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted() {
            tar.add(
                "cifar-10-batches-bin/" + name, [UInt8](try Data(contentsOf: temp.url.appendingPathComponent(name))))
        }
        extra(&tar)
        return DatasetFiles.gzip(tar.finished)
    }

    static func source(_ server: LocalHTTPServer, path: String, md5: String) throws -> DatasetSource {
        try DatasetSource.official(.cifar10).fetching(from: server.url(path)).expecting(md5: [md5])
    }

    /// The folder the destination goes in must hold nothing but the destination (no leftovers).
    static func leftovers(_ parent: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0 != "cifar10" }
    }

    @Test func fetchesVerifiesAndPutsTheDatasetInPlace() throws {
        let archive = try Self.cifarArchive()
        let server = try LocalHTTPServer(routes: ["/cifar-10-binary.tar.gz": .init(body: archive)])
        let temp = try TemporaryFolder()
        let destination = temp.url.appendingPathComponent("cifar10")
        // What an earlier, killed fetch left behind.
        _ = try temp.folder(".cifar10.partial-killed/download")
        let reports = ProgressLog()
        let fetched = try DatasetFetcher(progress: reports.record)
            .fetch(
                Self.source(server, path: "/cifar-10-binary.tar.gz", md5: MD5.hexDigest(of: archive)), to: destination)
        #expect(fetched.train.count == 10)
        #expect(fetched.test.count == 2)
        #expect(fetched.folder == destination.path)
        #expect(try Dataset.load(from: destination).train.labels == fetched.train.labels)
        #expect(try Self.leftovers(temp.url).isEmpty)
        #expect(reports.last?.received == Int64(archive.count))
        #expect(reports.last?.total == Int64(archive.count))
    }

    @Test func aCutConnectionLeavesNothing() throws {
        let archive = try Self.cifarArchive()
        let server = try LocalHTTPServer(routes: ["/a.tar.gz": .init(body: archive, cutAfter: archive.count / 2)])
        let temp = try TemporaryFolder()
        let destination = temp.url.appendingPathComponent("cifar10")
        let error = #expect(throws: DataError.self) {
            try DatasetFetcher().fetch(
                Self.source(server, path: "/a.tar.gz", md5: MD5.hexDigest(of: archive)),
                to: destination)
        }
        guard case .download(let url, _) = error else {
            Issue.record("expected a download error, got \(String(describing: error))")
            return
        }
        #expect(url == server.url("/a.tar.gz").absoluteString)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try Self.leftovers(temp.url).isEmpty)
    }

    @Test func aWrongChecksumLeavesNothing() throws {
        let archive = try Self.cifarArchive()
        let server = try LocalHTTPServer(routes: ["/a.tar.gz": .init(body: archive)])
        let temp = try TemporaryFolder()
        let destination = temp.url.appendingPathComponent("cifar10")
        let published = "0123456789abcdef0123456789abcdef"
        #expect(
            throws: DataError.checksumMismatch(
                file: "a.tar.gz", expected: published,
                actual: MD5.hexDigest(of: archive))
        ) {
            try DatasetFetcher().fetch(Self.source(server, path: "/a.tar.gz", md5: published), to: destination)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try Self.leftovers(temp.url).isEmpty)
    }

    @Test func aPathTraversalArchiveIsRefusedAndLeavesNothing() throws {
        let archive = try Self.cifarArchive { $0.add("cifar-10-batches-bin/../../escaped.bin", [6, 6, 6]) }
        let server = try LocalHTTPServer(routes: ["/a.tar.gz": .init(body: archive)])
        let temp = try TemporaryFolder()
        let destination = temp.url.appendingPathComponent("cifar10")
        #expect(
            throws: DataError.unsafeArchiveEntry(
                archive: "a.tar.gz", entry: "cifar-10-batches-bin/../../escaped.bin",
                reason: "'..' leads outside the folder")
        ) {
            try DatasetFetcher().fetch(
                Self.source(server, path: "/a.tar.gz", md5: MD5.hexDigest(of: archive)),
                to: destination)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try Self.leftovers(temp.url).isEmpty)
    }

    @Test func aMissingFileOnTheServerIsAnHTTPError() throws {
        let server = try LocalHTTPServer(routes: [:])
        let temp = try TemporaryFolder()
        #expect(throws: DataError.download(url: server.url("/none.tar.gz").absoluteString, reason: "HTTP 404")) {
            try DatasetFetcher().fetch(
                Self.source(server, path: "/none.tar.gz", md5: "x"),
                to: temp.url.appendingPathComponent("cifar10"))
        }
        #expect(try Self.leftovers(temp.url).isEmpty)
    }

    @Test func anExistingDestinationIsNotTouched() throws {
        let temp = try TemporaryFolder()
        let destination = try temp.folder("cifar10")
        #expect(throws: DataError.alreadyExists(destination.path)) {
            try DatasetFetcher().fetch(DatasetSource.official(.cifar10), to: destination)
        }
    }

    @Test func mnistFamilyFilesAreKeptAndNamedByTheirClasses() throws {
        let temp = try TemporaryFolder()
        let files = try temp.folder("served")
        try DatasetFiles.writeIDX(to: files, trainLabels: [1, 2, 3], testLabels: [4], height: 3, width: 3)
        var routes = [String: LocalHTTPServer.Response]()
        var md5 = [String]()
        let source = DatasetSource.official(.fashionMNIST)
        for file in source.files {
            let bytes = [UInt8](try Data(contentsOf: files.appendingPathComponent(file.name)))
            routes["/mirror/" + file.name] = .init(body: bytes)
            md5.append(MD5.hexDigest(of: bytes))
        }
        let server = try LocalHTTPServer(routes: routes)
        // A folder name that says nothing: the classes file written beside the files identifies it.
        let destination = temp.url.appendingPathComponent("clothes")
        let fetched = try DatasetFetcher()
            .fetch(source.fetching(from: server.url("/mirror/")).expecting(md5: md5), to: destination)
        #expect(fetched.name == "fashion-mnist")
        #expect(fetched.classNames[9] == "Ankle boot")
        #expect(fetched.train.labels == [1, 2, 3])
        #expect(try Dataset.load(from: destination).name == "fashion-mnist")
    }
}

/// Collects progress reports from the download thread.
final class ProgressLog: Sendable {
    private let reports = Mutex<[(received: Int64, total: Int64?)]>([])

    var last: (received: Int64, total: Int64?)? { reports.withLock { $0.last } }

    func record(file: String, received: Int64, total: Int64?) {
        reports.withLock { $0.append((received, total)) }
    }
}
