import CZlib

/// Inflates a gzip (or zlib) stream held in memory, a requested number of bytes at a time.
///
/// Readers ask for exactly the bytes a header promises, so a hostile header can never make the
/// stream allocate more than the caller has already judged the file able to hold.
final class GzipStream: ByteSource {
    /// Deflate cannot expand data by more than about 1032:1, which bounds what a file can hold.
    static let maximumExpansion = 1032

    private let file: String
    private let compressed: [UInt8]
    /// zlib keeps a pointer back to its stream, so the stream needs a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>
    private var consumed = 0
    private var ended = false

    init(file: String, compressed: [UInt8]) throws {
        guard !compressed.isEmpty else { throw DataError.corruptGzip(file: file, reason: "empty file") }
        // 15 + 32: the largest window, and accept gzip or zlib headers.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw DataError.corruptGzip(file: file, reason: "zlib init failed (\(status))")
        }
        // Assigned only once zlib owns the stream: `deinit` runs only for a fully initialised
        // object, so it never ends a stream that was not started.
        self.stream = stream
        self.file = file
        self.compressed = compressed
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The most bytes the compressed input could inflate to.
    var maximumInflatedSize: Int {
        compressed.count.multipliedReportingOverflow(by: Self.maximumExpansion).partialValue
    }

    /// Fills `buffer` completely or throws `.truncated` / `.corruptGzip`.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        var produced = 0
        while produced < buffer.count {
            if ended { throw DataError.truncated(file: file, expectedBytes: buffer.count, actualBytes: produced) }
            let status: Int32 = compressed.withUnsafeBufferPointer { input in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed)
                stream.pointee.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
                stream.pointee.avail_out = UInt32(min(buffer.count - produced, Int(UInt32.max)))
                let before = (stream.pointee.avail_in, stream.pointee.avail_out)
                let status = inflate(stream, Z_NO_FLUSH)
                consumed += Int(before.0 - stream.pointee.avail_in)
                produced += Int(before.1 - stream.pointee.avail_out)
                return status
            }
            switch status {
            case Z_OK: continue
            case Z_STREAM_END: ended = true
            case Z_BUF_ERROR where consumed == compressed.count:
                throw DataError.corruptGzip(file: file, reason: "compressed data ends early")
            default: throw corrupt(status)
            }
        }
    }

    /// Checks that nothing but the end of the stream follows what was read.
    func expectEnd() throws {
        var probe = [UInt8](repeating: 0, count: 4096)
        var extra = 0
        while !ended {
            let before = stream.pointee.total_out
            do {
                try probe.withUnsafeMutableBytes { try read(into: $0) }
            } catch DataError.truncated {
                // Reached the end inside the probe: the bytes it saw are the surplus.
            }
            extra += Int(stream.pointee.total_out - before)
        }
        if extra > 0 { throw DataError.trailingBytes(file: file, count: extra) }
    }

    private func corrupt(_ status: Int32) -> DataError {
        let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return .corruptGzip(file: file, reason: message)
    }
}
