import ConvData
import Foundation
import Testing

@Suite struct TarArchiveTests {
    static func extract(_ archive: [UInt8], gzip: Bool = false) throws -> (TemporaryFolder, Result<[String], DataError>)
    {
        let temp = try TemporaryFolder()
        let file = temp.url.appendingPathComponent(gzip ? "archive.tar.gz" : "archive.tar")
        try Data(gzip ? DatasetFiles.gzip(archive) : archive).write(to: file)
        let output = try temp.folder("out")
        do {
            return (temp, .success(try TarArchive.extract(file, to: output)))
        } catch let error as DataError {
            return (temp, .failure(error))
        }
    }

    static func refusal(_ archive: [UInt8]) throws -> DataError? {
        let (_, result) = try extract(archive)
        guard case .failure(let error) = result else {
            Issue.record("the archive was extracted")
            return nil
        }
        return error
    }

    @Test(arguments: [false, true])
    func extractsFilesAndFolders(gzip: Bool) throws {
        var tar = TarFile()
        tar.add("set/", type: .directory)
        tar.add("set/a.bin", Array(0..<200))
        tar.add("b.txt", Array("hello".utf8), prefix: "set/deeper")
        tar.add("./set/empty.bin")
        let (temp, result) = try Self.extract(tar.finished, gzip: gzip)
        #expect(try result.get() == ["set/", "set/a.bin", "set/deeper/b.txt", "./set/empty.bin"])
        let out = temp.url.appendingPathComponent("out")
        #expect([UInt8](try Data(contentsOf: out.appendingPathComponent("set/a.bin"))) == Array(0..<200))
        #expect(try String(contentsOf: out.appendingPathComponent("set/deeper/b.txt"), encoding: .utf8) == "hello")
        #expect(try Data(contentsOf: out.appendingPathComponent("set/empty.bin")).isEmpty)
    }

    @Test func refusesAbsolutePaths() throws {
        var tar = TarFile()
        tar.add("/tmp/convtop-evil.bin", [1])
        #expect(
            try Self.refusal(tar.finished)
                == .unsafeArchiveEntry(archive: "archive.tar", entry: "/tmp/convtop-evil.bin", reason: "absolute path"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/convtop-evil.bin"))
    }

    @Test func refusesParentComponents() throws {
        var tar = TarFile()
        tar.add("set/../../evil.bin", [1])
        let (temp, result) = try Self.extract(tar.finished)
        guard case .failure(.unsafeArchiveEntry(_, let entry, _)) = result else {
            Issue.record("expected a refusal, got \(result)")
            return
        }
        #expect(entry == "set/../../evil.bin")
        #expect(!FileManager.default.fileExists(atPath: temp.url.appendingPathComponent("evil.bin").path))
    }

    @Test(arguments: [TarFile.EntryType.symbolicLink, .hardLink])
    func refusesLinks(type: TarFile.EntryType) throws {
        var tar = TarFile()
        tar.add("data_batch_1.bin", type: type, linkTarget: "/etc/passwd")
        #expect(
            try Self.refusal(tar.finished)
                == .unsafeArchiveEntry(
                    archive: "archive.tar", entry: "data_batch_1.bin", reason: "links are not extracted"))
    }

    @Test func refusesBase256Sizes() throws {
        var tar = TarFile()
        tar.add("huge.bin", sizeField: [0x80] + [UInt8](repeating: 0xFF, count: 11))
        guard case .unsafeArchiveEntry(_, "huge.bin", let reason) = try Self.refusal(tar.finished) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("beyond the ustar format"))
    }

    @Test func aSizeBeyondTheArchiveIsCorruptNotAnAllocation() throws {
        var tar = TarFile()
        // 8 GiB - 1 bytes promised, 3 present.
        tar.add("big.bin", [1, 2, 3], sizeField: Array("77777777777".utf8))
        #expect(
            try Self.refusal(tar.bytes)
                == .corruptArchive(archive: "archive.tar", reason: "entry 'big.bin' of 8589934591 bytes is cut short"))
    }

    @Test func rejectsABadHeaderChecksum() throws {
        var tar = TarFile()
        tar.add("a.bin", [1, 2, 3])
        var bytes = tar.finished
        bytes[0] = UInt8(ascii: "b")
        #expect(
            try Self.refusal(bytes)
                == .corruptArchive(archive: "archive.tar", reason: "header checksum mismatch at entry 'b.bin'"))
    }

    @Test func requiresTheEndMarker() throws {
        var tar = TarFile()
        tar.add("a.bin", [1, 2, 3])
        #expect(
            try Self.refusal(tar.bytes)
                == .corruptArchive(archive: "archive.tar", reason: "ends without the end-of-archive marker"))
    }
}
