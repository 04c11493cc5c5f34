import Foundation

/// The version and limits of the line format that the journal and an attached viewer share.
public enum LineFormat {
    /// The `"v"` every line carries. Readers reject any other; a line without one is a journal line
    /// written before the field existed, which is version 1.
    public static let version = 1

    /// The longest line a reader parses, in bytes (16 MiB). The largest real line is an evaluation
    /// with its images: 500 misclassified and 32 sample images of 3x64x64 take about 9 MB in base64.
    public static let maximumLineBytes = 16 << 20
}

/// The JSON coders of the line format and the checks a decoder cannot make, shared by events and
/// commands so that both read and write the same way.
enum LineCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Sorted keys make a value's line the same every time, so that lines compare and diff.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    /// `value` as one line of JSON. Encoding cannot fail: every value is a string, a number (the
    /// non-finite ones written as strings), a Boolean or an array or object of them.
    static func line(_ value: some Encodable) -> String {
        let data = (try? encoder.encode(value)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes a line after checking its length and version; every failure is a `ProtocolError`.
    static func decode<Value: Decodable>(_ type: Value.Type, from line: Substring) throws -> Value {
        let length = line.utf8.count
        guard length <= LineFormat.maximumLineBytes else {
            throw ProtocolError(
                "the line is \(length) bytes, more than the \(LineFormat.maximumLineBytes) a line may have")
        }
        let data = Data(line.utf8)
        do {
            let version = try decoder.decode(VersionField.self, from: data).v ?? 1
            guard version == LineFormat.version else {
                throw ProtocolError("version \(version) is not known (this build reads version \(LineFormat.version))")
            }
            return try decoder.decode(type, from: data)
        } catch let error as ProtocolError {
            throw error
        } catch let error as DecodingError {
            throw ProtocolError(describing: error)
        } catch {
            throw ProtocolError("\(error)")
        }
    }

    private struct VersionField: Decodable {
        var v: Int?
    }

    // MARK: Checks

    static func nonNegative(_ value: Int, _ field: String) throws {
        guard value >= 0 else { throw ProtocolError("\(field) is negative (\(value))") }
    }

    static func finite(_ value: Double, _ field: String) throws {
        guard value.isFinite else { throw ProtocolError("\(field) is \(value), not a finite number") }
    }

    static func positive(_ value: Double, _ field: String) throws {
        try finite(value, field)
        guard value > 0 else { throw ProtocolError("\(field) is \(value), not a positive number") }
    }

    static func finiteNonNegative(_ value: Double, _ field: String) throws {
        try finite(value, field)
        guard value >= 0 else { throw ProtocolError("\(field) is negative (\(value))") }
    }

    static func fraction(_ value: Float, _ field: String) throws {
        guard value >= 0 && value <= 1 else { throw ProtocolError("\(field) is \(value), not a fraction in [0, 1]") }
    }

    /// An image shape from its three numbers, each at least 1, whose product fits a line.
    static func shape(_ numbers: [Int], _ field: String) throws -> ImageShape {
        guard numbers.count == 3 else { throw ProtocolError("\(field) needs 3 numbers, found \(numbers.count)") }
        var product = 1
        for n in numbers {
            guard n >= 1 else { throw ProtocolError("\(field) has \(n), not a size of at least 1") }
            let (next, overflow) = product.multipliedReportingOverflow(by: n)
            guard !overflow, next <= LineFormat.maximumLineBytes else {
                throw ProtocolError("\(field) \(numbers) is more values than a line can hold")
            }
            product = next
        }
        return ImageShape(channels: numbers[0], height: numbers[1], width: numbers[2])
    }
}

extension ProtocolError {
    /// A one-line account of a decoder's complaint, naming the field as the line spells it.
    init(describing error: DecodingError) {
        func path(_ keys: [CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + Self.snakeCase(key.stringValue)
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init("missing field \"\(path(context.codingPath + [key]))\"")
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty:
            self.init("not a JSON object (expected \(type))")
        case .typeMismatch(let type, let context):
            self.init("field \"\(path(context.codingPath))\" is not of type \(type)")
        case .valueNotFound(let type, let context):
            self.init("field \"\(path(context.codingPath))\" is null, not \(type)")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // Foundation reports a number too large or too precise for its field the same way.
            self.init("not JSON, or a number that does not fit its field: \(context.debugDescription)")
        case .dataCorrupted(let context):
            self.init("field \"\(path(context.codingPath))\": \(context.debugDescription)")
        @unknown default:
            self.init("\(error)")
        }
    }

    /// `stepsPerEpoch` as the line writes it: `steps_per_epoch`.
    private static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { result, character in
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
    }
}
