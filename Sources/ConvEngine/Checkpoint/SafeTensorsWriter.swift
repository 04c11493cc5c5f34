extension SafeTensors {
    /// The file's bytes, laid out as the reference writer does: `__metadata__` first (keys
    /// sorted, omitted when empty), tensors by descending dtype rank then by name, header padded
    /// with spaces to a multiple of 8.
    public func serialized() -> [UInt8] {
        if tensors["__metadata__"] != nil { fatalError("SafeTensors: the tensor name __metadata__ is reserved") }
        let ordered = tensors.sorted { a, b in
            a.value.dtype.rank != b.value.dtype.rank
                ? a.value.dtype.rank > b.value.dtype.rank
                : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in ordered {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + tensor.bytes.count
            fields.append(
                "\(Self.quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for (_, tensor) in ordered { bytes.append(contentsOf: tensor.bytes) }
        return bytes
    }

    /// Writes `serialized()` to `path` atomically: a reader sees the old file or the new one,
    /// never a mixture, and a failed write leaves the old file as it was.
    public func write(toFile path: String) throws(CheckpointError) {
        try AtomicFile.write(serialized(), to: path)
    }

    /// A JSON string literal escaped as serde_json does (quote, backslash, control characters).
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
