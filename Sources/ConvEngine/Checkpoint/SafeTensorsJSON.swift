/// The JSON values a safetensors header can hold, parsed strictly from untrusted bytes.
///
/// Foundation's parser silently keeps one of two duplicate keys and has no nesting limit; a
/// header that names a tensor twice must be refused, and a hostile one must not exhaust the stack.
enum SafeTensorsJSON {
    case object([(key: String, value: SafeTensorsJSON)])
    case array([SafeTensorsJSON])
    case string(String)
    /// A number without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, kept as written.
    case number(String)
    case bool(Bool)
    case null

    /// A one-line reason and the byte offset in the header where parsing stopped.
    struct ParseError: Error {
        let reason: String
        let offset: Int
    }

    /// Parses one JSON value that may be followed only by whitespace (the header's space padding).
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> SafeTensorsJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private struct Parser {
        /// A safetensors header nests three levels deep; anything far deeper is hostile.
        static let maximumDepth = 32

        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ reason: String) -> ParseError { ParseError(reason: reason, offset: position) }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(ParseError) {
            guard current == byte else { throw error("expected \(what)") }
            position += 1
        }

        mutating func value(depth: Int) throws(ParseError) -> SafeTensorsJSON {
            guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
            skipWhitespace()
            guard let byte = current else { throw error("unexpected end of header") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - position >= count else { throw error("unexpected end of header") }
            for i in 0..<count where bytes[position + i] != word.utf8Start[i] { throw error("invalid literal") }
            position += count
        }

        mutating func object(depth: Int) throws(ParseError) -> SafeTensorsJSON {
            position += 1
            var members: [(key: String, value: SafeTensorsJSON)] = []
            var keys = Set<String>()
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                let keyOffset = position
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                guard keys.insert(key).inserted else {
                    throw ParseError(reason: "duplicate key \"\(key)\"", offset: keyOffset)
                }
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> SafeTensorsJSON {
            position += 1
            var elements: [SafeTensorsJSON] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(elements)
            }
        }

        mutating func number() throws(ParseError) -> SafeTensorsJSON {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, isDigit(first) else { throw error("invalid number") }
            position += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            var isInteger = true
            if current == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard let byte = current, isDigit(byte) else { throw error("invalid number") }
                skipDigits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard let byte = current, isDigit(byte) else { throw error("invalid number") }
                skipDigits()
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if isInteger, let value = Int(text) { return .integer(value) }
            return .number(text)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func skipDigits() {
            while let byte = current, isDigit(byte) { position += 1 }
        }

        mutating func string() throws(ParseError) -> String {
            position += 1
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flush(_ parser: Parser, to end: Int) {
                scalars.append(contentsOf: String(decoding: parser.bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
            while true {
                guard let byte = current else { throw error("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    flush(self, to: position)
                    position += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush(self, to: position)
                    position += 1
                    scalars.append(try escape())
                    runStart = position
                case 0..<0x20:
                    throw error("control character in string")
                default:
                    position += 1
                }
            }
        }

        /// Decodes the escape after a backslash, joining UTF-16 surrogate pairs.
        mutating func escape() throws(ParseError) -> Unicode.Scalar {
            guard let byte = current else { throw error("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try hex4()
                if (0xD800..<0xDC00).contains(high) {
                    guard current == UInt8(ascii: "\\"), position + 1 < bytes.count,
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired surrogate") }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                    return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
                }
                guard let scalar = Unicode.Scalar(high) else { throw error("unpaired surrogate") }
                return scalar
            default:
                throw error("invalid escape")
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard bytes.count - position >= 4 else { throw error("unterminated string") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}
