import Foundation

/// Whole-file reads that turn every file-system failure into a one-line `DataError`.
enum FileBytes {
    /// The size of a regular file in bytes; a symbolic link is followed to the file it names.
    static func size(of url: URL) throws -> Int {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(url.lastPathComponent)
        }
        if isDirectory.boolValue { throw DataError.unreadable(url.lastPathComponent, reason: "is a folder") }
        guard let status = FileStatus(path) else {
            throw DataError.unreadable(url.lastPathComponent, reason: String(cString: strerror(errno)))
        }
        return status.size
    }

    /// The whole contents of a file.
    static func read(_ url: URL) throws -> [UInt8] {
        let expected = try size(of: url)
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw DataError.unreadable(url.lastPathComponent, reason: "permission denied")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw DataError.unreadable(url.lastPathComponent, reason: error.localizedDescription)
        }
        guard data.count == expected else {
            throw DataError.unreadable(url.lastPathComponent, reason: "size changed while reading")
        }
        return [UInt8](data)
    }

    /// The first `limit` bytes of the file at `path` (all of it when shorter), read with plain
    /// POSIX calls: an image folder reads thousands of small files, where Foundation's file
    /// handles cost more than the reading. Failures name the file as `name`.
    static func read(path: String, name: String, limit: Int = .max) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DataError.unreadable(name, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw DataError.unreadable(name, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw DataError.unreadable(name, reason: "is a folder") }
        let size = min(Int(info.st_size), limit)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress! + done, size - done)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw DataError.unreadable(name, reason: String(cString: strerror(errno))) }
            guard count > 0 else { throw DataError.unreadable(name, reason: "size changed while reading") }
            done += count
        }
        return bytes
    }

    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.read(descriptor, buffer, count)
        #else
        Glibc.read(descriptor, buffer, count)
        #endif
    }
}

/// Size and modification time of a file, through any symbolic links (`stat`, not `lstat`, whose
/// size would be the link's own).
struct FileStatus: Equatable {
    var size: Int
    /// Nanoseconds since 1970.
    var modified: Int64
    var isFolder: Bool

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        size = Int(info.st_size)
        #if canImport(Darwin)
        modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        isFolder = (info.st_mode & S_IFMT) == S_IFDIR
    }
}
