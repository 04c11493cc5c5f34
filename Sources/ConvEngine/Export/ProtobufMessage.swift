/// A protocol-buffers message being written: fields appended in the wire format, for the few
/// ONNX messages convtop writes (https://protobuf.dev/programming-guides/encoding/).
struct ProtobufMessage {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// An int32, int64 or enum field; negative values take ten bytes, as the format requires.
    mutating func integer(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufMessage) { data(field, value.bytes) }

    /// A repeated int64 field, packed (one length-delimited run of varints).
    mutating func packedIntegers(_ field: Int, _ values: [Int]) {
        var run = ProtobufMessage()
        for value in values { run.varint(UInt64(bitPattern: Int64(value))) }
        data(field, run.bytes)
    }
}
