import ConvEngine
import Foundation

/// A safetensors file written by Tests/Reference/make_reference.py, read with a minimal parser
/// (F32 and I64 tensors only; I64 ones are also offered as Float tensors) so the engine tests need nothing beyond the engine.
struct ReferenceFixture {
    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var tensors: [String: Tensor] = [:]
    private(set) var integers: [String: [Int]] = [:]
    private(set) var metadata: [String: String] = [:]

    init(named name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures")
        else {
            throw FormatError(description: "fixture \(name).safetensors is not in the test bundle")
        }
        let bytes = [UInt8](try Data(contentsOf: url))
        let file = url.lastPathComponent
        guard bytes.count >= 8 else { throw FormatError(description: "\(file): shorter than its header length") }
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard 8 + headerLength <= bytes.count,
            let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any]
        else { throw FormatError(description: "\(file): unreadable header") }
        let base = 8 + headerLength
        for (key, value) in header {
            if key == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                base + offsets[1] <= bytes.count
            else { throw FormatError(description: "\(file): bad entry \(key)") }
            let raw = Array(bytes[(base + offsets[0])..<(base + offsets[1])])
            switch dtype {
            case "F32":
                let values = stride(from: 0, to: raw.count, by: 4).map { i in
                    Float(bitPattern: raw[i..<(i + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
                }
                tensors[key] = Tensor(shape: shape, values: values)
            case "I64":
                let values = stride(from: 0, to: raw.count, by: 8).map { i in
                    Int(Int64(bitPattern: raw[i..<(i + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
                }
                integers[key] = values
                tensors[key] = Tensor(shape: shape, values: values.map(Float.init))
            default:
                throw FormatError(description: "\(file): \(key) has unsupported dtype \(dtype)")
            }
        }
    }

    func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw FormatError(description: "fixture has no tensor \(name)") }
        return tensor
    }

    func number(_ key: String) throws -> Double {
        guard let text = metadata[key], let value = Double(text) else {
            throw FormatError(description: "fixture metadata has no number \(key)")
        }
        return value
    }

    /// The tensors whose names start with `prefix`, with the prefix removed.
    func tensors(prefixed prefix: String) -> [String: Tensor] {
        Dictionary(
            uniqueKeysWithValues: tensors.compactMap { name, tensor in
                name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), tensor) : nil
            })
    }
}

/// How far `actual` is from `expected`: nil when every element is within atol + rtol * |expected|,
/// else a message with the largest difference and the first values of both.
func mismatch(_ name: String, actual: Tensor, expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> String? {
    guard actual.shape == expected.shape else { return "\(name): shape \(actual.shape), expected \(expected.shape)" }
    var worst: Float = 0, worstIndex = 0, failed = false
    for i in 0..<actual.count {
        let difference = abs(actual[i] - expected[i])
        if difference > worst {
            worst = difference
            worstIndex = i
        }
        if !(difference <= atol + rtol * abs(expected[i])) { failed = true }
    }
    guard failed else { return nil }
    let head = { (t: Tensor) in t.values.prefix(4).map { String(format: "%.6g", $0) }.joined(separator: " ") }
    return
        "\(name): largest difference \(worst) at [\(worstIndex)] (\(actual[worstIndex]) vs \(expected[worstIndex])); "
        + "first values \(head(actual)) vs \(head(expected))"
}
