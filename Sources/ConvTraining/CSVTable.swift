/// Comma-separated values as RFC 4180 writes them: a field holding a comma, a double quote or a
/// line break is quoted, with its quotes doubled. Reading accepts `\n` and `\r\n` line ends.
enum CSVTable {
    /// `rows` as CSV text, one line per row, each ended by `\n`.
    static func text(_ rows: [[String]]) -> String {
        rows.map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }

    private static func field(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A problem in CSV text, with the line it starts on (counting from 1).
    struct Malformed: Error {
        var line: Int
        var problem: String
    }

    /// The rows of `text`. A blank last line is not a row.
    static func rows(_ text: String) throws(Malformed) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        /// Whether the field began with a quote, so that text after its closing quote is an error.
        var wasQuoted = false
        var line = 1
        var rowLine = 1
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        func endField() {
            row.append(String(field))
            field = String.UnicodeScalarView()
            wasQuoted = false
        }
        while let c = pending {
            pending = scalars.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = scalars.next()
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !wasQuoted else {
                    throw Malformed(
                        line: line, problem: "a quote inside an unquoted field (quote the field and double it)")
                }
                quoted = true
                wasQuoted = true
            case ",":
                endField()
            case "\r" where pending == "\n":
                break
            case "\n":
                endField()
                rows.append(row)
                row = []
                line += 1
                rowLine = line
            default:
                guard !wasQuoted else {
                    throw Malformed(line: line, problem: "text after a quoted field's closing quote")
                }
                field.append(c)
            }
        }
        if quoted { throw Malformed(line: rowLine, problem: "a quoted field is never closed") }
        if !field.isEmpty || wasQuoted || !row.isEmpty {
            endField()
            rows.append(row)
        }
        return rows
    }
}
