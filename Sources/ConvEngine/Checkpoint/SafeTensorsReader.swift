import Foundation

extension SafeTensors {
    /// Reads and validates a safetensors file; see `init(bytes:file:)` for what is checked.
    public init(contentsOfFile path: String) throws(CheckpointError) {
        try self.init(bytes: try Self.readFile(path), file: path)
    }

    /// Parses a safetensors file held in memory, refusing anything the reference reader refuses.
    ///
    /// Checked: the header length against the file size and `maximumHeaderSize`; UTF-8 and strict
    /// JSON (no duplicate names); every entry's dtype, shape and offsets; that the byte range of
    /// each tensor is exactly its shape times its element size; and that the tensors tile the data
    /// buffer with no overlap, gap or trailing bytes. `file` names the file in errors.
    public init(bytes: [UInt8], file: String) throws(CheckpointError) {
        func failure(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }

        guard bytes.count >= 8 else {
            throw failure("truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw failure("truncated: header says \(declared) bytes, file has \(bytes.count)")
        }
        let headerSize = Int(declared)
        guard headerSize <= Self.maximumHeaderSize else {
            throw failure("header of \(headerSize) bytes is larger than the \(Self.maximumHeaderSize)-byte limit")
        }
        let header = Array(bytes[8..<(8 + headerSize)])
        guard String(validating: header, as: UTF8.self) != nil else { throw failure("header is not valid UTF-8") }
        guard header.first == UInt8(ascii: "{") else { throw failure("header does not start with '{'") }

        let json: SafeTensorsJSON
        do {
            json = try SafeTensorsJSON.parse(header)
        } catch {
            throw failure("header JSON: \(error.reason) at byte \(8 + error.offset)")
        }
        guard case .object(let members) = json else { throw failure("header is not a JSON object") }

        let dataStart = 8 + headerSize
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try Self.metadata(from: value, failure: failure)
            } else {
                entries.append(try Entry(name: name, json: value, dataSize: dataSize, failure: failure))
            }
        }

        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        for (i, entry) in entries.enumerated() {
            if entry.begin < covered {
                let previous = entries[i - 1]
                throw failure(
                    "tensors \"\(previous.name)\" \(previous.offsets) and \"\(entry.name)\" \(entry.offsets) overlap")
            }
            if entry.begin > covered {
                throw failure("bytes \(covered)..<\(entry.begin) of the data buffer belong to no tensor")
            }
            covered = entry.end
        }
        guard covered == dataSize else {
            throw failure("bytes \(covered)..<\(dataSize) of the data buffer belong to no tensor")
        }

        var tensors: [String: SafeTensorsTensor] = [:]
        for entry in entries {
            let slice = Array(bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
            tensors[entry.name] = SafeTensorsTensor(dtype: entry.dtype, shape: entry.shape, bytes: slice)
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// One tensor's header entry, checked on its own against the data buffer size.
    private struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let begin: Int
        let end: Int

        var offsets: String { "[\(begin), \(end)]" }

        init(
            name: String, json: SafeTensorsJSON, dataSize: Int,
            failure: (String) -> CheckpointError
        ) throws(CheckpointError) {
            func fail(_ problem: String) -> CheckpointError { failure("tensor \"\(name)\": \(problem)") }
            guard case .object(let fields) = json else { throw fail("entry is not a JSON object") }
            func field(_ key: String) throws(CheckpointError) -> SafeTensorsJSON {
                guard let value = fields.first(where: { $0.key == key })?.value else {
                    throw fail("missing \"\(key)\"")
                }
                return value
            }
            func sizes(_ key: String) throws(CheckpointError) -> [Int] {
                guard case .array(let elements) = try field(key) else { throw fail("\"\(key)\" is not an array") }
                var result: [Int] = []
                for element in elements {
                    guard case .integer(let value) = element, value >= 0 else {
                        throw fail("\"\(key)\" holds something other than a non-negative integer")
                    }
                    result.append(value)
                }
                return result
            }

            guard case .string(let dtypeName) = try field("dtype") else { throw fail("\"dtype\" is not a string") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw fail("unknown dtype \"\(dtypeName)\"")
            }
            let shape = try sizes("shape")
            let offsets = try sizes("data_offsets")
            guard offsets.count == 2 else { throw fail("\"data_offsets\" has \(offsets.count) numbers, not 2") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] end before they begin") }
            guard end <= dataSize else {
                throw fail("data_offsets [\(begin), \(end)] run past the \(dataSize)-byte data buffer")
            }
            let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
            guard let size = SafeTensorsTensor.byteCount(dtype: dtype, shape: shape) else {
                throw fail("shape \(shapeText) of \(dtypeName) is not a whole number of bytes that fits in memory")
            }
            guard size == end - begin else {
                throw fail(
                    "shape \(shapeText) of \(dtypeName) needs \(size) bytes, data_offsets [\(begin), \(end)] hold \(end - begin)"
                )
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.begin = begin
            self.end = end
        }
    }

    private static func metadata(
        from json: SafeTensorsJSON,
        failure: (String) -> CheckpointError
    ) throws(CheckpointError) -> [String: String] {
        switch json {
        case .null:
            return [:]
        case .object(let members):
            var result: [String: String] = [:]
            for (key, value) in members {
                guard case .string(let text) = value else {
                    throw failure("__metadata__ value of \"\(key)\" is not a string")
                }
                result[key] = text
            }
            return result
        default:
            throw failure("__metadata__ is not a JSON object")
        }
    }

    /// The whole file; its size, not a number inside it, decides how much is allocated.
    private static func readFile(_ path: String) throws(CheckpointError) -> [UInt8] {
        func failure(_ action: String) -> CheckpointError {
            CheckpointError(file: path, problem: "cannot \(action): \(String(cString: strerror(errno)))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("stat") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw CheckpointError(file: path, problem: "not a regular file")
        }
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, size - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            // The file shrank while being read: keep what is there and let the parser judge it.
            if count == 0 { bytes.removeLast(size - filled); break }
            filled += count
        }
        return bytes
    }
}
