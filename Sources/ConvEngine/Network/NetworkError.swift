/// A network file that cannot be read or does not fit the data: where and what.
///
/// Its description is one line in the form compilers use, so editors can jump to it:
/// `vgg.net:7:5: linear expects 2048 inputs, the layer before gives 4096`.
public struct NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the user named it (a preset's name for a built-in network).
    public let file: String
    /// 1-based; the first character of the token at fault. Both 0 for a problem with the whole
    /// file (missing, unreadable, too large).
    public let line: Int
    public let column: Int
    /// What is wrong, without the place.
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { line == 0 ? "\(file): \(message)" : "\(file):\(line):\(column): \(message)" }
}

/// A place in a network file, 1-based.
public struct TextPosition: Equatable, Sendable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
