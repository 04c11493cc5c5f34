import Foundation

/// Extracts ustar archives (`.tar`, or `.tar.gz` through zlib) into a folder, refusing anything
/// that could write outside it or that the format cannot describe.
///
/// Accepted: regular files and directories with relative paths. Refused: absolute paths, `..`
/// components, hard and symbolic links, devices, extension headers that rename entries, and
/// base-256 sizes (beyond ustar's 11 octal digits).
public enum TarArchive {
    static let blockSize = 512

    /// Extracts `archive` into `folder` (which must exist) and returns the extracted paths.
    @discardableResult
    public static func extract(_ archive: URL, to folder: URL) throws -> [String] {
        let name = archive.lastPathComponent
        let source = try openByteSource(archive)
        var extracted = [String]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let header = try readBlock(source, archive: name)
            if header.allSatisfy({ $0 == 0 }) { break }
            let entry = try Entry(header: header, archive: name)
            let target = try safeDestination(entry.path, in: folder, archive: name)
            switch entry.type {
            case .directory:
                try createFolder(target, archive: name)
            case .file:
                try createFolder(target.deletingLastPathComponent(), archive: name)
                try writeFile(target, size: entry.size, from: source, chunk: &chunk, archive: name, entry: entry.path)
            }
            extracted.append(entry.path)
        }
        return extracted
    }

    private static func readBlock(_ source: any ByteSource, archive: String) throws -> [UInt8] {
        do {
            return try source.read(blockSize)
        } catch DataError.truncated {
            throw DataError.corruptArchive(archive: archive, reason: "ends without the end-of-archive marker")
        }
    }

    private static func writeFile(
        _ target: URL, size: Int, from source: any ByteSource, chunk: inout [UInt8],
        archive: String, entry: String
    ) throws {
        guard FileManager.default.createFile(atPath: target.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: target.path)
        else {
            throw DataError.unreadable(target.path, reason: "cannot create the file")
        }
        defer { try? handle.close() }
        var remaining = size
        let padded = (size + blockSize - 1) / blockSize * blockSize
        var toSkip = padded - size
        while remaining > 0 {
            let count = min(remaining, chunk.count)
            do {
                try chunk.withUnsafeMutableBytes {
                    try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]))
                }
            } catch DataError.truncated {
                throw DataError.corruptArchive(
                    archive: archive, reason: "entry '\(entry)' of \(size) bytes is cut short")
            }
            handle.write(Data(chunk[..<count]))
            remaining -= count
        }
        while toSkip > 0 {
            let count = min(toSkip, chunk.count)
            try chunk.withUnsafeMutableBytes {
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]))
            }
            toSkip -= count
        }
    }

    private static func createFolder(_ url: URL, archive: String) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw DataError.unreadable(url.path, reason: "cannot create the folder")
        }
    }

    /// `path` inside `folder`, or a refusal naming what is wrong with it.
    static func safeDestination(_ path: String, in folder: URL, archive: String) throws -> URL {
        guard !path.hasPrefix("/") else {
            throw DataError.unsafeArchiveEntry(archive: archive, entry: path, reason: "absolute path")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else {
            throw DataError.unsafeArchiveEntry(archive: archive, entry: path, reason: "'..' leads outside the folder")
        }
        let kept = components.filter { $0 != "." }
        guard !kept.isEmpty else {
            throw DataError.unsafeArchiveEntry(archive: archive, entry: path, reason: "empty path")
        }
        return kept.reduce(folder) { $0.appendingPathComponent(String($1)) }
    }

    /// One parsed ustar header.
    struct Entry {
        enum Kind { case file, directory }

        var path: String
        var size: Int
        var type: Kind

        init(header: [UInt8], archive: String) throws {
            func field(_ offset: Int, _ length: Int) -> ArraySlice<UInt8> { header[offset..<(offset + length)] }
            func text(_ offset: Int, _ length: Int) -> String {
                String(decoding: field(offset, length).prefix { $0 != 0 }, as: UTF8.self)
            }
            let name = text(0, 100)
            let stored = try Self.octal(field(148, 8), archive: archive, entry: name, what: "checksum")
            // The checksum counts its own field as eight spaces.
            let sum = header.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
            guard stored == sum else {
                throw DataError.corruptArchive(archive: archive, reason: "header checksum mismatch at entry '\(name)'")
            }
            let prefix = text(345, 155)
            let magic = text(257, 5)
            path = magic == "ustar" && !prefix.isEmpty ? prefix + "/" + name : name
            guard header[124] & 0x80 == 0 else {
                throw DataError.unsafeArchiveEntry(
                    archive: archive, entry: path,
                    reason: "size beyond the ustar format's 11 octal digits")
            }
            size = try Self.octal(field(124, 12), archive: archive, entry: path, what: "size")
            switch header[156] {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): type = .file
            case UInt8(ascii: "5"): type = .directory
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw DataError.unsafeArchiveEntry(archive: archive, entry: path, reason: "links are not extracted")
            default:
                let flag = String(UnicodeScalar(header[156]))
                throw DataError.unsafeArchiveEntry(
                    archive: archive, entry: path,
                    reason: "unsupported entry type '\(flag)'")
            }
        }

        /// An octal number padded with spaces or NULs; at most 11 digits, as ustar allows.
        static func octal(_ bytes: ArraySlice<UInt8>, archive: String, entry: String, what: String) throws -> Int {
            let digits = bytes.filter { $0 != 0 && $0 != UInt8(ascii: " ") }
            if digits.isEmpty && what == "size" { return 0 }
            guard !digits.isEmpty, digits.count <= 11,
                let value = Int(String(decoding: digits, as: UTF8.self), radix: 8)
            else {
                throw DataError.corruptArchive(archive: archive, reason: "bad \(what) field at entry '\(entry)'")
            }
            return value
        }
    }
}
