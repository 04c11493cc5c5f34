extension NetworkFile {
    /// The most bytes a network file may have: far above any real network, small enough that a
    /// wrong file (an image, a dataset) is refused at once.
    public static let byteLimit = 65536
    /// The deepest nesting of blocks.
    public static let depthLimit = 8
    /// The most layers once repeats are expanded.
    public static let layerLimit = 4096
    /// The largest count, kernel, stride and padding a file may write.
    static let widthLimit = 65536, kernelLimit = 32, repeatLimit = 256, expectedLimit = 1 << 30

    /// Parses a network file. `file` names it in errors; `name` is the network's name (the file's
    /// name without extension for a user's file).
    public init(text: String, file: String, name: String) throws(NetworkError) {
        guard text.utf8.count <= Self.byteLimit else {
            throw NetworkError(
                file: file, line: 0, column: 0,
                message:
                    "the file has \(text.utf8.count) bytes, more than the \(Self.byteLimit) a network file may have")
        }
        var parser = NetworkParser(file: file)
        layers = try parser.parse(text)
        self.name = name
        self.file = file
        self.text = text
    }
}

/// Reads a network file line by line, keeping the open blocks on a stack.
struct NetworkParser {
    let file: String

    private struct Token {
        enum Kind { case word, colon, equals, open, close }
        let kind: Kind
        let text: String
        let location: TextPosition
    }

    /// A block being read: the top level, a residual's body, its shortcut or a repeat's body.
    private struct Block {
        enum Kind {
            case top, residual, shortcut
            case `repeat`(Int)
        }
        let kind: Kind
        let name: String
        let location: TextPosition
        var layers: [NetworkLayer] = []
        var names: [String: TextPosition] = [:]
        var shortcut: [NetworkLayer]?
        var shortcutLocation: TextPosition?
        /// Layers once repeats are expanded, for the layer limit.
        var expandedCount = 0
    }

    private var blocks: [Block] = []

    init(file: String) { self.file = file }

    private func error(_ location: TextPosition, _ message: String) -> NetworkError {
        NetworkError(file: file, line: location.line, column: location.column, message: message)
    }

    mutating func parse(_ text: String) throws(NetworkError) -> [NetworkLayer] {
        blocks = [Block(kind: .top, name: "", location: TextPosition(line: 1, column: 1))]
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let tokens = try tokenize(line, lineNumber: lineNumber)
            if tokens.isEmpty { continue }
            if let close = tokens.first(where: { $0.kind == .close }) {
                guard tokens.count == 1 else { throw error(close.location, "`}` must stand alone on its line") }
                try closeBlock(at: close.location)
            } else {
                try readLayer(tokens)
            }
        }
        if blocks.count > 1 {
            let open = blocks.last!
            throw error(open.location, "this block is not closed: expected `}` before the end of the file")
        }
        let top = blocks[0]
        guard !top.layers.isEmpty else {
            throw error(TextPosition(line: 1, column: 1), "the network has no layers")
        }
        return top.layers
    }

    private func tokenize(_ line: Substring, lineNumber: Int) throws(NetworkError) -> [Token] {
        var tokens: [Token] = []
        var word = "", wordColumn = 0, column = 0
        func endWord() {
            if !word.isEmpty {
                tokens.append(
                    Token(kind: .word, text: word, location: TextPosition(line: lineNumber, column: wordColumn)))
            }
            word = ""
        }
        for character in line {
            column += 1
            let here = TextPosition(line: lineNumber, column: column)
            if character == "#" { break }
            let punctuation: Token.Kind? =
                switch character {
                case ":": .colon
                case "=": .equals
                case "{": .open
                case "}": .close
                default: nil
                }
            if let punctuation {
                endWord()
                tokens.append(Token(kind: punctuation, text: String(character), location: here))
            } else if character == " " || character == "\t" || character == "\r" {
                endWord()
            } else if character.isASCII && (character.isLetter || character.isNumber || "_.-+".contains(character)) {
                if word.isEmpty { wordColumn = column }
                word.append(character)
            } else {
                throw error(here, "unexpected character `\(character)`")
            }
        }
        endWord()
        return tokens
    }

    private mutating func closeBlock(at location: TextPosition) throws(NetworkError) {
        guard blocks.count > 1 else { throw error(location, "`}` without a block to close") }
        let block = blocks.removeLast()
        guard !block.layers.isEmpty else { throw error(block.location, "the block has no layers") }
        switch block.kind {
        case .top:
            preconditionFailure("the top level is never on the stack above another block")
        case .shortcut:
            blocks[blocks.count - 1].shortcut = block.layers
            blocks[blocks.count - 1].shortcutLocation = block.location
            try countExpanded(block.expandedCount, at: block.location)
        case .residual:
            try append(
                NetworkLayer(
                    name: block.name, location: block.location,
                    kind: .residual(body: block.layers, shortcut: block.shortcut)),
                expandedCount: block.expandedCount + 1)
        case .repeat(let times):
            try append(
                NetworkLayer(
                    name: block.name, location: block.location, kind: .repeat(count: times, body: block.layers)),
                expandedCount: times * block.expandedCount)
        }
    }

    private mutating func append(_ layer: NetworkLayer, expandedCount: Int) throws(NetworkError) {
        let index = blocks.count - 1
        if let previous = blocks[index].names[layer.name] {
            throw error(layer.location, "the name \(layer.name) is already used on line \(previous.line)")
        }
        blocks[index].names[layer.name] = layer.location
        blocks[index].layers.append(layer)
        try countExpanded(expandedCount, at: layer.location)
    }

    /// Counts a finished layer (a block counts its expanded layers) into the innermost open block;
    /// a block's count joins its parent's when it closes, so the top level ends with the total.
    private mutating func countExpanded(_ layers: Int, at location: TextPosition) throws(NetworkError) {
        let index = blocks.count - 1
        blocks[index].expandedCount += layers
        guard blocks[index].expandedCount <= NetworkFile.layerLimit else {
            throw error(
                location, "the network has more than \(NetworkFile.layerLimit) layers once repeats are expanded")
        }
    }

    private mutating func readLayer(_ tokens: [Token]) throws(NetworkError) {
        var rest = tokens[...]
        var writtenName: Token?
        if rest.count >= 2, rest[rest.startIndex + 1].kind == .colon {
            let name = rest.removeFirst()
            rest.removeFirst()
            guard name.kind == .word, name.text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw error(name.location, "a layer name is letters, digits and `_`, found `\(name.text)`")
            }
            writtenName = name
        }
        guard let kindToken = rest.first, kindToken.kind == .word else {
            throw error((rest.first ?? tokens.last!).location, "expected a layer kind such as conv, relu or linear")
        }
        rest.removeFirst()
        var opensBlock = false
        if let last = rest.last, last.kind == .open {
            opensBlock = true
            rest.removeLast()
        }
        var arguments = try Arguments(rest, parser: self, kind: kindToken)
        let here = kindToken.location
        let block = blocks[blocks.count - 1]
        let name = writtenName?.text ?? String(block.layers.count)
        if case .residual = block.kind, name == "shortcut" {
            throw error(writtenName?.location ?? here, "the name shortcut belongs to the residual block's shortcut")
        }
        let kindName = kindToken.text
        let isBlock = ["residual", "repeat", "shortcut"].contains(kindName)
        if isBlock != opensBlock {
            throw error(
                here,
                isBlock
                    ? "\(kindName) expects `{` at the end of the line, its layers on the lines after"
                    : "\(kindName) takes no block")
        }
        if isBlock && blocks.count > NetworkFile.depthLimit {
            throw error(here, "blocks nest more than \(NetworkFile.depthLimit) deep")
        }
        let kind: NetworkLayer.Kind
        switch kindName {
        case "conv":
            let out = try arguments.width()
            let kernel = try arguments.integer("kernel", default: 3, in: 1...NetworkFile.kernelLimit)
            let stride = try arguments.integer("stride", default: 1, in: 1...NetworkFile.kernelLimit)
            let padding: NetworkLayer.Padding
            if let written = arguments.keyed["padding"], written.text == "same" {
                guard stride == 1, kernel % 2 == 1 else {
                    throw error(written.location, "padding=same needs an odd kernel and stride 1")
                }
                arguments.keyed["padding"] = nil
                padding = .same
            } else {
                padding = .count(try arguments.integer("padding", default: 0, in: 0...NetworkFile.kernelLimit))
            }
            let bias = try arguments.boolean("bias", default: true)
            kind = .conv(
                out: out, kernel: kernel, stride: stride, padding: padding, bias: bias,
                inChannels: try arguments.expected())
        case "linear":
            kind = .linear(out: try arguments.width(), inFeatures: try arguments.expected())
        case "batchnorm": kind = .batchNorm
        case "relu": kind = .relu
        case "flatten": kind = .flatten
        case "globalavgpool": kind = .globalAvgPool
        case "maxpool", "avgpool":
            let kernel = try arguments.positionalInteger("kernel size", in: 1...NetworkFile.kernelLimit)
            let stride = try arguments.integer("stride", default: kernel, in: 1...NetworkFile.kernelLimit)
            kind =
                kindName == "maxpool"
                ? .maxPool(kernel: kernel, stride: stride) : .avgPool(kernel: kernel, stride: stride)
        case "dropout":
            let value = try arguments.positional("probability")
            guard let p = Float(value.text), p >= 0, p < 1 else {
                throw error(
                    value.location,
                    "expected a dropout probability from 0 up to (not including) 1, found `\(value.text)`")
            }
            kind = .dropout(probability: p)
        case "residual", "repeat":
            let times =
                kindName == "repeat"
                ? try arguments.positionalInteger("repeat count", in: 1...NetworkFile.repeatLimit) : 0
            try arguments.finish()
            if kindName == "repeat" && writtenName == nil {
                throw error(here, "a repeat needs a name (`stage: repeat \(times) {`): its layers' names start with it")
            }
            blocks.append(Block(kind: kindName == "repeat" ? .repeat(times) : .residual, name: name, location: here))
            return
        case "shortcut":
            guard case .residual = block.kind else { throw error(here, "shortcut only goes inside a residual block") }
            if writtenName != nil {
                throw error(writtenName!.location, "shortcut takes no name: its parameters are named shortcut.*")
            }
            if let previous = block.shortcutLocation {
                throw error(here, "the residual block already has a shortcut, on line \(previous.line)")
            }
            try arguments.finish()
            blocks.append(Block(kind: .shortcut, name: "shortcut", location: here))
            return
        default:
            throw error(
                here,
                "unknown layer `\(kindName)`; expected conv, linear, batchnorm, relu, maxpool, avgpool, "
                    + "globalavgpool, dropout, flatten, residual or repeat")
        }
        try arguments.finish()
        try append(NetworkLayer(name: name, location: here, kind: kind), expandedCount: 1)
    }

    /// The words after a layer's kind: positional values first, then `key=value` pairs.
    private struct Arguments {
        struct Value {
            let text: String
            let location: TextPosition
            /// Where the key of a `key=value` is written; the value's location for a positional value.
            let keyLocation: TextPosition
        }

        var positionals: [Value] = []
        var keyed: [String: Value] = [:]
        let parser: NetworkParser
        let kind: Token

        init(_ tokens: ArraySlice<Token>, parser: NetworkParser, kind: Token) throws(NetworkError) {
            self.parser = parser
            self.kind = kind
            var rest = tokens
            while let token = rest.first {
                rest.removeFirst()
                guard token.kind == .word else {
                    throw parser.error(token.location, "unexpected `\(token.text)`")
                }
                if rest.first?.kind == .equals {
                    rest.removeFirst()
                    guard let value = rest.first, value.kind == .word else {
                        throw parser.error(token.location, "expected a value after `\(token.text)=`")
                    }
                    rest.removeFirst()
                    if keyed[token.text] != nil { throw parser.error(token.location, "\(token.text) is given twice") }
                    keyed[token.text] = Value(text: value.text, location: value.location, keyLocation: token.location)
                } else {
                    guard keyed.isEmpty else {
                        throw parser.error(
                            token.location, "expected `key=value` after the first `key=value`, found `\(token.text)`")
                    }
                    positionals.append(Value(text: token.text, location: token.location, keyLocation: token.location))
                }
            }
        }

        private func error(_ location: TextPosition, _ message: String) -> NetworkError {
            parser.error(location, message)
        }

        mutating func positional(_ what: String) throws(NetworkError) -> Value {
            guard !positionals.isEmpty else {
                throw error(kind.location, "\(kind.text) expects its \(what) after `\(kind.text)`")
            }
            return positionals.removeFirst()
        }

        func number(_ value: Value, _ what: String, in range: ClosedRange<Int>) throws(NetworkError) -> Int {
            guard let number = Int(value.text), range.contains(number) else {
                throw error(
                    value.location,
                    "expected a whole number from \(range.lowerBound) to \(range.upperBound) for \(what), found `\(value.text)`"
                )
            }
            return number
        }

        mutating func positionalInteger(_ what: String, in range: ClosedRange<Int>) throws(NetworkError) -> Int {
            try number(try positional(what), what, in: range)
        }

        mutating func width() throws(NetworkError) -> NetworkLayer.Width {
            let value = try positional("output size (a number or `classes`)")
            if value.text == "classes" { return .classes }
            return .count(try number(value, "the output size", in: 1...NetworkFile.widthLimit))
        }

        mutating func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(NetworkError)
            -> Int
        {
            guard let value = keyed.removeValue(forKey: key) else { return fallback }
            return try number(value, key, in: range)
        }

        mutating func boolean(_ key: String, default fallback: Bool) throws(NetworkError) -> Bool {
            guard let value = keyed.removeValue(forKey: key) else { return fallback }
            switch value.text {
            case "true": return true
            case "false": return false
            default: throw error(value.location, "expected true or false for \(key), found `\(value.text)`")
            }
        }

        mutating func expected() throws(NetworkError) -> NetworkLayer.Expected? {
            guard let value = keyed.removeValue(forKey: "in") else { return nil }
            return NetworkLayer.Expected(
                value: try number(value, "in", in: 1...NetworkFile.expectedLimit),
                location: value.location)
        }

        /// Refuses whatever the layer did not read.
        func finish() throws(NetworkError) {
            if let extra = positionals.first {
                throw error(extra.location, "\(kind.text) takes no further value, found `\(extra.text)`")
            }
            if let key = keyed.keys.sorted().first {
                throw error(keyed[key]!.keyLocation, "\(kind.text) has no argument `\(key)`")
            }
        }
    }
}
