import Foundation

/// Bytes read front to back from a file, raw or inflated, with a known upper bound on their size.
protocol ByteSource: AnyObject {
    /// The most bytes the source can possibly deliver; readers refuse headers that promise more.
    var maximumInflatedSize: Int { get }
    /// Fills `buffer` completely or throws.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws
    /// Throws `.trailingBytes` unless everything has been read.
    func expectEnd() throws
}

extension ByteSource {
    /// Reads a fixed-size header.
    func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0) }
        return bytes
    }
}

/// An uncompressed file already in memory.
final class RawBytes: ByteSource {
    private let file: String
    private let bytes: [UInt8]
    private var offset = 0

    init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
    }

    var maximumInflatedSize: Int { bytes.count }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard bytes.count - offset >= buffer.count else {
            throw DataError.truncated(file: file, expectedBytes: buffer.count, actualBytes: bytes.count - offset)
        }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + buffer.count)]))
        }
        offset += buffer.count
    }

    func expectEnd() throws {
        if offset < bytes.count { throw DataError.trailingBytes(file: file, count: bytes.count - offset) }
    }
}

/// Opens a file as a byte source, inflating it when its name ends in `.gz`.
func openByteSource(_ url: URL) throws -> any ByteSource {
    let bytes = try FileBytes.read(url)
    if url.pathExtension == "gz" { return try GzipStream(file: url.lastPathComponent, compressed: bytes) }
    return RawBytes(file: url.lastPathComponent, bytes: bytes)
}
