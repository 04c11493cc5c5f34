import Foundation

/// Whole-file reads that turn every file-system failure into a one-line `DataError`.
enum FileBytes {
    /// The size of a regular file in bytes.
    static func size(of url: URL) throws -> Int {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(url.lastPathComponent)
        }
        if isDirectory.boolValue { throw DataError.unreadable(url.lastPathComponent, reason: "is a folder") }
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw DataError.unreadable(url.lastPathComponent, reason: error.localizedDescription)
        }
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
}
