/// Splits a byte stream into lines at `\n`, refusing any line longer than a bound before it has
/// been read whole, so that a peer cannot make the reader buffer without limit.
struct LineFramer {
    /// The longest line accepted, in bytes, without its newline.
    let maximumLineBytes: Int
    private var pending: [UInt8] = []

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Adds bytes read from the stream and returns the lines they complete, without their
    /// newlines. Throws as soon as the unfinished line is longer than the bound.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(LineTooLong) -> [Substring] {
        var lines: [Substring] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            pending.append(contentsOf: bytes[start..<index])
            guard pending.count <= maximumLineBytes else { throw LineTooLong(bound: maximumLineBytes) }
            lines.append(Substring(decoding: pending, as: UTF8.self))
            pending.removeAll(keepingCapacity: true)
            start = index + 1
        }
        pending.append(contentsOf: bytes[start...])
        guard pending.count <= maximumLineBytes else { throw LineTooLong(bound: maximumLineBytes) }
        return lines
    }

    struct LineTooLong: Error, CustomStringConvertible {
        let bound: Int
        var description: String { "a line is longer than the \(bound) bytes a line may have" }
    }
}
