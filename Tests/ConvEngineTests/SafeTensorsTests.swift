import ConvEngine
import Foundation
import Testing

/// A safetensors file from a header written by hand, padded and prefixed as the format requires.
func safetensorsFile(header: String, data: [UInt8] = []) -> [UInt8] {
    var json = Array(header.utf8)
    json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}

@Suite struct SafeTensorsTests {
    static let fixture = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/safetensors/reference.safetensors")
        .path

    /// The tensors of `make_safetensors_fixture.py`, recomputed from its formulas.
    static var fixtureContents: SafeTensors {
        func f32(_ shape: [Int]) -> SafeTensorsTensor {
            SafeTensorsTensor(float32: (0..<shape.reduce(1, *)).map { Float($0) * 0.25 - 1 }, shape: shape)
        }
        let halfBits: [UInt16] = [0x3800, 0x3E00, 0x4100]  // 0.5, 1.5, 2.5 as IEEE half
        return SafeTensors(
            tensors: [
                "conv1.weight": f32([2, 1, 3, 3]),
                "conv1.bias": f32([2]),
                "bn1.num_batches_tracked": SafeTensorsTensor(int64: [1_234_567_890_123], shape: []),
                "empty": SafeTensorsTensor(float32: [], shape: [0, 4]),
                "half": SafeTensorsTensor(
                    dtype: .f16, shape: [3], bytes: halfBits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })!,
                "bytes": SafeTensorsTensor(dtype: .u8, shape: [5], bytes: [250, 251, 252, 253, 254])!,
            ],
            metadata: ["note": "caf\u{e9} \"quoted\"\n\\"])
    }

    @Test func readsTheReferenceWritersFile() throws {
        let file = try SafeTensors(contentsOfFile: Self.fixture)
        #expect(file == Self.fixtureContents)
        #expect(file.tensors["conv1.weight"]?.float32Values()?.prefix(3) == [-1, -0.75, -0.5])
        #expect(file.tensors["bn1.num_batches_tracked"]?.int64Values() == [1_234_567_890_123])
        #expect(file.tensors["conv1.bias"]?.int64Values() == nil)
    }

    @Test func writesTheReferenceWritersBytes() throws {
        let reference = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        let ours = Self.fixtureContents.serialized()
        #expect(ours == reference, "first difference at byte \(zip(ours, reference).prefix { $0 == $1 }.count)")
    }

    @Test func roundTripsThroughAFile() throws {
        var rng = SystemRandomNumberGenerator()
        var tensors: [String: SafeTensorsTensor] = [:]
        for i in 0..<20 {
            let shape = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 1...5, using: &rng) }
            let count = shape.reduce(1, *)
            tensors["layer\(i).w"] =
                i % 3 == 0
                ? SafeTensorsTensor(
                    int64: (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }, shape: shape)
                : SafeTensorsTensor(
                    float32: (0..<count).map { _ in Float.random(in: -1e6...1e6, using: &rng) }, shape: shape)
        }
        let original = SafeTensors(tensors: tensors, metadata: ["epoch": "3", "tab\tand\u{1}": "\u{1F600}", "": ""])
        try inTemporaryFolder { folder in
            let path = folder + "/round.safetensors"
            try original.write(toFile: path)
            let loaded = try SafeTensors(contentsOfFile: path)
            #expect(loaded == original)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["round.safetensors"])
        }
    }

    @Test func headerIsPaddedToEightBytes() {
        for length in 0..<9 {
            let bytes = SafeTensors(metadata: ["k": String(repeating: "x", count: length)]).serialized()
            let headerSize = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
            #expect(headerSize % 8 == 0 && bytes.count == 8 + headerSize)
            #expect(bytes.last == UInt8(ascii: " ") || bytes.last == UInt8(ascii: "}"))
        }
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        let problem: String
        var testDescription: String { label }
    }

    static let f32Entry = #""t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#

    static let malformed: [Malformed] = {
        let valid = SafeTensors(tensors: ["a": SafeTensorsTensor(float32: [1, 2, 3], shape: [3])]).serialized()
        var hugeLength = valid
        hugeLength.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        let data8 = [UInt8](repeating: 0, count: 8)
        return [
            Malformed(
                label: "shorter than the length field", bytes: [1, 2, 3],
                problem: "truncated: 3 bytes, too short for the 8-byte header length"),
            Malformed(
                label: "cut inside the header", bytes: Array(valid.prefix(30)),
                problem: "truncated: header says \(valid.count - 20) bytes, file has 30"),
            Malformed(
                label: "huge header length", bytes: hugeLength,
                problem: "truncated: header says 9223372036854775807 bytes, file has \(valid.count)"),
            Malformed(
                label: "cut inside the data", bytes: Array(valid.dropLast(2)),
                problem: "tensor \"a\": data_offsets [0, 12] run past the 10-byte data buffer"),
            Malformed(
                label: "trailing bytes", bytes: valid + [0, 0, 0, 0],
                problem: "bytes 12..<16 of the data buffer belong to no tensor"),
            Malformed(
                label: "not UTF-8", bytes: safetensorsFile(header: "{\"\u{e9}\":1}").map { $0 == 0xA9 ? 0xFF : $0 },
                problem: "header is not valid UTF-8"),
            Malformed(
                label: "not an object", bytes: safetensorsFile(header: "[]"), problem: "header does not start with '{'"),
            Malformed(
                label: "unterminated JSON", bytes: safetensorsFile(header: "{\"a\":"),
                problem: "header JSON: unexpected end of header at byte 16"),
            Malformed(
                label: "garbage after JSON", bytes: safetensorsFile(header: "{} x"),
                problem: "header JSON: unexpected data after the JSON value at byte 11"),
            Malformed(
                label: "bad escape", bytes: safetensorsFile(header: #"{"\q":1}"#),
                problem: "header JSON: invalid escape at byte 12"),
            Malformed(
                label: "deep nesting",
                bytes: safetensorsFile(header: "{\"x\":" + String(repeating: "[", count: 100_000)),
                problem: "header JSON: nested deeper than 32 levels at byte 44"),
            Malformed(
                label: "duplicate tensor", bytes: safetensorsFile(header: "{\(f32Entry),\(f32Entry)}", data: data8),
                problem: "header JSON: duplicate key \"t\" at byte 62"),
            Malformed(
                label: "unknown dtype",
                bytes: safetensorsFile(header: #"{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, data: data8),
                problem: "tensor \"t\": unknown dtype \"F33\""),
            Malformed(
                label: "negative dimension",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: data8),
                problem: "tensor \"t\": \"shape\" holds something other than a non-negative integer"),
            Malformed(
                label: "fractional dimension",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, data: data8),
                problem: "tensor \"t\": \"shape\" holds something other than a non-negative integer"),
            Malformed(
                label: "size mismatch",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,8]}}"#, data: data8),
                problem: "tensor \"t\": shape [2, 3] of F32 needs 24 bytes, data_offsets [0, 8] hold 8"),
            Malformed(
                label: "overflowing shape",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: data8),
                problem:
                    "tensor \"t\": shape [4294967296, 4294967296] of F32 is not a whole number of bytes that fits in memory"
            ),
            Malformed(
                label: "offsets backwards",
                bytes: safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: data8),
                problem: "tensor \"t\": data_offsets [8, 0] end before they begin"),
            Malformed(
                label: "three offsets",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}"#, data: data8),
                problem: "tensor \"t\": \"data_offsets\" has 3 numbers, not 2"),
            Malformed(
                label: "missing shape",
                bytes: safetensorsFile(header: #"{"t":{"dtype":"F32","data_offsets":[0,8]}}"#, data: data8),
                problem: "tensor \"t\": missing \"shape\""),
            Malformed(
                label: "overlap",
                bytes: safetensorsFile(
                    header:
                        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                    data: data8 + data8), problem: "tensors \"a\" [0, 8] and \"b\" [4, 12] overlap"),
            Malformed(
                label: "gap",
                bytes: safetensorsFile(
                    header:
                        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                    data: data8 + [0, 0, 0, 0]), problem: "bytes 4..<8 of the data buffer belong to no tensor"),
            Malformed(
                label: "metadata number", bytes: safetensorsFile(header: #"{"__metadata__":{"epoch":3}}"#),
                problem: "__metadata__ value of \"epoch\" is not a string"),
            Malformed(
                label: "packed dtype off a byte boundary",
                bytes: safetensorsFile(
                    header: #"{"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0]),
                problem: "tensor \"t\": shape [3] of F4 is not a whole number of bytes that fits in memory"),
        ]
    }()

    @Test(arguments: malformed)
    func refusesMalformedFiles(_ example: Malformed) {
        #expect(throws: CheckpointError(file: "x.safetensors", problem: example.problem)) {
            try SafeTensors(bytes: example.bytes, file: "x.safetensors")
        }
    }

    @Test func acceptsWhatTheReferenceAccepts() throws {
        let packed = try SafeTensors(
            bytes: safetensorsFile(
                header:
                    #"{"__metadata__":null,"t":{"dtype":"F4","shape":[4],"data_offsets":[0,2]},"e":{"dtype":"I8","shape":[0],"data_offsets":[0,0]}}"#,
                data: [0x12, 0x34]), file: "x")
        #expect(
            packed.tensors["t"]?.bytes == [0x12, 0x34] && packed.tensors["e"]?.count == 0 && packed.metadata.isEmpty)
        let escaped = try SafeTensors(
            bytes: safetensorsFile(header: #"{"__metadata__":{"\u00e9\ud83d\ude00":"a\/b"}}"#), file: "x")
        #expect(escaped.metadata == ["\u{e9}\u{1F600}": "a/b"])
    }

    @Test func namesTheFileWhenItCannotBeRead() throws {
        #expect(
            throws: CheckpointError(
                file: "/nonexistent/c.safetensors", problem: "cannot open: No such file or directory")
        ) {
            try SafeTensors(contentsOfFile: "/nonexistent/c.safetensors")
        }
        try inTemporaryFolder { folder in
            #expect(throws: CheckpointError(file: folder, problem: "not a regular file")) {
                try SafeTensors(contentsOfFile: folder)
            }
            let error = CheckpointError(
                file: "checkpoint.safetensors", problem: "truncated: header says 1234 bytes, file has 1000")
            #expect(error.description == "checkpoint.safetensors: truncated: header says 1234 bytes, file has 1000")
        }
    }
}

/// A new empty folder under the system's temporary directory.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "convtop-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs `body` with a new empty folder that is removed afterwards.
func inTemporaryFolder<T>(_ body: (String) throws -> T) throws -> T {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try body(folder)
}
