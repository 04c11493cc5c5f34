// libFuzzer target for the line framer that reads a run socket's commands (built by Fuzz/run.sh).
// The first byte chooses the bound on a line, the second the size of the reads the rest arrives
// in. Whatever the bytes, the framer must hand out exactly the stream's lines, in order, and throw
// in the read where a line first grows past the bound: never earlier, never later, never for a
// stream whose lines all fit.
@testable import ConvTraining

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bound = Int(data[0] % 64)
    let readSize = Int(data[1] % 16) + 1
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)

    // The stream's lines by a plain split, and the offset of the first byte past the bound.
    var expected: [String] = []
    var overflow: Int?
    var lineStart = 0
    for (offset, byte) in stream.enumerated() {
        if byte == UInt8(ascii: "\n") {
            expected.append(String(decoding: stream[lineStart..<offset], as: UTF8.self))
            lineStart = offset + 1
        } else if offset - lineStart + 1 > bound {
            overflow = offset
            break
        }
    }

    var framer = LineFramer(maximumLineBytes: bound)
    var lines: [String] = []
    var offset = 0
    while offset < stream.count {
        let end = min(stream.count, offset + readSize)
        do {
            lines += try framer.append(UnsafeRawBufferPointer(rebasing: stream[offset..<end])).map(String.init)
        } catch {
            guard let overflow, overflow >= offset && overflow < end else {
                fatalError(
                    "the framer refused bytes \(offset)..<\(end) though the first long line starts past the bound at \(overflow.map(String.init) ?? "no byte")"
                )
            }
            guard lines == Array(expected.prefix(lines.count)) else {
                fatalError("the framer changed a line before throwing")
            }
            return 0
        }
        offset = end
    }
    if let overflow { fatalError("the framer took a line longer than \(bound) bytes (past it at byte \(overflow))") }
    if lines != expected { fatalError("the framer's lines \(lines) are not the stream's \(expected)") }
    return 0
}
