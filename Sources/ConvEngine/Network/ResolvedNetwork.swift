/// A network file fitted to an input shape and a class count: every size known and every shape
/// checked, before any tensor is allocated. What the engine builds, the summary tabulates and the
/// exporters write.
public struct ResolvedNetwork: Sendable {
    public let file: NetworkFile
    /// One image: channels, height, width.
    public let inputShape: [Int]
    public let classes: Int
    public let layers: [ResolvedLayer]

    public var name: String { file.name }

    /// The most learnable values a network may have, and the most values one layer may output
    /// per image: beyond these a network could not train in memory anyway.
    public static let parameterLimit = 1 << 31, activationLimit = 1 << 31
    /// The largest input side and channel count.
    static let inputSideLimit = 4096, inputChannelLimit = 16384

    /// Every learnable tensor's `state_dict` name and shape, in the order the layers create them.
    public var parameterShapes: [(name: String, shape: [Int])] {
        layers.flatMap { $0.prefixedShapes(\.parameterShapes) }
    }
    /// Every buffer's (batch-norm statistics) `state_dict` name and shape.
    public var bufferShapes: [(name: String, shape: [Int])] { layers.flatMap { $0.prefixedShapes(\.bufferShapes) } }

    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }
    /// Multiply-adds for one image, summed over the layers (saturating: a count this large only
    /// says the network is too big).
    public var multiplyAdds: Int {
        layers.reduce(0) { total, layer in
            let (sum, overflow) = total.addingReportingOverflow(layer.multiplyAdds)
            return overflow ? .max : sum
        }
    }
}

/// One layer with the shapes it sees, per image (no batch dimension).
public struct ResolvedLayer: Equatable, Sendable {
    /// The `state_dict` name relative to the enclosing block.
    public let name: String
    public let location: TextPosition
    public let operation: Operation
    public let inputShape: [Int]
    public let outputShape: [Int]

    public struct Convolution: Equatable, Sendable {
        public let inChannels: Int
        public let outChannels: Int
        public let kernel: Int
        public let stride: Int
        public let padding: Int
        public let bias: Bool
    }

    public indirect enum Operation: Equatable, Sendable {
        case conv(Convolution)
        case linear(inFeatures: Int, outFeatures: Int)
        case batchNorm(channels: Int)
        case relu
        case maxPool(kernel: Int, stride: Int)
        case avgPool(kernel: Int, stride: Int)
        case globalAvgPool
        case dropout(probability: Float)
        case flatten
        /// output = body(x) + shortcut(x), the identity for a nil shortcut.
        case residual(body: [ResolvedLayer], shortcut: [ResolvedLayer]?)
        /// A repeat: its body's layers once per pass, the passes named 0, 1, ...
        case `repeat`(passes: [[ResolvedLayer]])
    }

    /// This layer's own learnable tensors, and those of the layers inside it, named relative to it.
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch operation {
        case .conv(let c):
            [("weight", [c.outChannels, c.inChannels, c.kernel, c.kernel])]
                + (c.bias ? [("bias", [c.outChannels])] : [])
        case .linear(let inFeatures, let outFeatures):
            [("weight", [outFeatures, inFeatures]), ("bias", [outFeatures])]
        case .batchNorm(let channels): [("weight", [channels]), ("bias", [channels])]
        case .residual(let body, let shortcut):
            body.flatMap { $0.prefixedShapes(\.parameterShapes) }
                + (shortcut ?? []).flatMap { $0.prefixedShapes(\.parameterShapes) }.map {
                    ("shortcut." + $0.name, $0.shape)
                }
        case .repeat(let passes): Self.passShapes(passes, \.parameterShapes)
        case .relu, .maxPool, .avgPool, .globalAvgPool, .dropout, .flatten: []
        }
    }

    /// This layer's buffers (batch-norm running statistics), named relative to it.
    public var bufferShapes: [(name: String, shape: [Int])] {
        switch operation {
        case .batchNorm(let channels):
            [("running_mean", [channels]), ("running_var", [channels]), ("num_batches_tracked", [])]
        case .residual(let body, let shortcut):
            body.flatMap { $0.prefixedShapes(\.bufferShapes) }
                + (shortcut ?? []).flatMap { $0.prefixedShapes(\.bufferShapes) }.map {
                    ("shortcut." + $0.name, $0.shape)
                }
        case .repeat(let passes): Self.passShapes(passes, \.bufferShapes)
        default: []
        }
    }

    private static func passShapes(
        _ passes: [[ResolvedLayer]], _ shapes: KeyPath<ResolvedLayer, [(name: String, shape: [Int])]>
    )
        -> [(name: String, shape: [Int])]
    {
        passes.enumerated().flatMap { pass, layers in
            layers.flatMap { $0.prefixedShapes(shapes) }.map { ("\(pass)." + $0.name, $0.shape) }
        }
    }

    func prefixedShapes(_ shapes: KeyPath<ResolvedLayer, [(name: String, shape: [Int])]>) -> [(
        name: String, shape: [Int]
    )] {
        self[keyPath: shapes].map { (name + "." + $0.name, $0.shape) }
    }

    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Multiply-adds for one image: convolutions and linear layers, and those inside blocks; the
    /// other layers' few operations per value are not counted, as in torchinfo.
    public var multiplyAdds: Int {
        switch operation {
        case .conv(let c): outputShape.reduce(1, *) * c.inChannels * c.kernel * c.kernel
        case .linear(let inFeatures, let outFeatures): inFeatures * outFeatures
        case .residual(let body, let shortcut):
            (body + (shortcut ?? [])).reduce(0) { $0.saturatingAdd($1.multiplyAdds) }
        case .repeat(let passes): passes.joined().reduce(0) { $0.saturatingAdd($1.multiplyAdds) }
        default: 0
        }
    }
}

extension Int {
    fileprivate func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

extension NetworkFile {
    /// Fits the network to images of `inputShape` (channels, height, width) and `classes` classes,
    /// checking every layer's input; the network must end in the class scores.
    public func resolve(inputShape: [Int], classes: Int) throws(NetworkError) -> ResolvedNetwork {
        let start = TextPosition(line: 1, column: 1)
        func failure(_ message: String) -> NetworkError {
            NetworkError(file: file, line: start.line, column: start.column, message: message)
        }
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }),
            inputShape[0] <= ResolvedNetwork.inputChannelLimit,
            inputShape[1] <= ResolvedNetwork.inputSideLimit, inputShape[2] <= ResolvedNetwork.inputSideLimit
        else {
            throw failure(
                "the input \(inputShape.shapeText) is not CxHxW with at most \(ResolvedNetwork.inputChannelLimit) "
                    + "channels and sides up to \(ResolvedNetwork.inputSideLimit)")
        }
        guard (1...NetworkFile.widthLimit).contains(classes) else {
            throw failure("\(classes) classes: expected 1 to \(NetworkFile.widthLimit)")
        }
        var resolver = ShapeResolver(file: file, classes: classes)
        let resolved = try resolver.resolve(layers, input: inputShape)
        let output = resolved.last!.outputShape
        if output != [classes] {
            let last = resolved.last!.location
            throw NetworkError(
                file: file, line: last.line, column: last.column,
                message: "the network ends in \(output.shapeDescription), but must end in the \(classes) class "
                    + "scores: finish with `linear classes`")
        }
        return ResolvedNetwork(file: self, inputShape: inputShape, classes: classes, layers: resolved)
    }
}

extension [Int] {
    /// `16x5x5`.
    var shapeText: String { map(String.init).joined(separator: "x") }
    /// `16x5x5` or `120 values`, for messages.
    var shapeDescription: String { count == 1 ? "\(self[0]) values" : shapeText }
}

/// Walks the layers, giving each its input shape, and refuses the first that does not fit.
private struct ShapeResolver {
    let file: String
    let classes: Int
    private var parameters = 0

    init(file: String, classes: Int) {
        self.file = file
        self.classes = classes
    }

    private func error(_ location: TextPosition, _ message: String) -> NetworkError {
        NetworkError(file: file, line: location.line, column: location.column, message: message)
    }

    mutating func resolve(_ layers: [NetworkLayer], input: [Int]) throws(NetworkError) -> [ResolvedLayer] {
        var shape = input
        var resolved: [ResolvedLayer] = []
        for layer in layers {
            let next = try resolve(layer, input: shape)
            resolved.append(next)
            shape = next.outputShape
        }
        return resolved
    }

    private func width(_ width: NetworkLayer.Width) -> Int {
        switch width {
        case .count(let n): n
        case .classes: classes
        }
    }

    private mutating func resolve(_ layer: NetworkLayer, input: [Int]) throws(NetworkError) -> ResolvedLayer {
        let here = layer.location
        func planes(_ what: String) throws(NetworkError) {
            guard input.count == 3 else {
                throw error(here, "\(what) needs a CxHxW input, the layer before gives \(input.shapeDescription)")
            }
        }
        func window(_ what: String, kernel: Int, stride: Int, padding: Int) throws(NetworkError) -> (Int, Int) {
            let (height, width) = (input[1] + 2 * padding, input[2] + 2 * padding)
            guard height >= kernel, width >= kernel else {
                throw error(
                    here,
                    "\(what) with kernel \(kernel)\(padding > 0 ? " and padding \(padding)" : "") "
                        + "does not fit its \(input[1])x\(input[2]) input")
            }
            return ((height - kernel) / stride + 1, (width - kernel) / stride + 1)
        }
        func made(_ operation: ResolvedLayer.Operation, _ output: [Int]) throws(NetworkError) -> ResolvedLayer {
            let values = output.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? .max : $0 * $1 }
            guard values <= ResolvedNetwork.activationLimit else {
                throw error(
                    here,
                    "the layer gives \(output.shapeText) values per image, more than \(ResolvedNetwork.activationLimit)"
                )
            }
            let result = ResolvedLayer(
                name: layer.name, location: here, operation: operation, inputShape: input,
                outputShape: output)
            if case .repeat = operation {
            } else if case .residual = operation {
            } else {
                parameters += result.parameterCount
                guard parameters <= ResolvedNetwork.parameterLimit else {
                    throw error(
                        here, "the network has more than \(ResolvedNetwork.parameterLimit) parameters up to this layer")
                }
            }
            return result
        }

        switch layer.kind {
        case .conv(let out, let kernel, let stride, let padding, let bias, let expected):
            try planes("conv")
            if let expected, expected.value != input[0] {
                throw error(
                    expected.location,
                    "conv expects \(expected.value) input channels, the layer before gives \(input[0])")
            }
            let pad =
                switch padding {
                case .count(let n): n
                case .same: (kernel - 1) / 2
                }
            let (height, width) = try window("conv", kernel: kernel, stride: stride, padding: pad)
            let outChannels = self.width(out)
            // Channels come from the input (at most inputChannelLimit) or a conv (at most widthLimit),
            // so the product stays far inside Int.
            guard input[0] * outChannels * kernel * kernel <= ResolvedNetwork.parameterLimit else {
                throw error(here, "conv has more than \(ResolvedNetwork.parameterLimit) weights")
            }
            let convolution = ResolvedLayer.Convolution(
                inChannels: input[0], outChannels: outChannels, kernel: kernel,
                stride: stride, padding: pad, bias: bias)
            return try made(.conv(convolution), [outChannels, height, width])
        case .linear(let out, let expected):
            guard input.count == 1 else {
                throw error(
                    here, "linear needs flat input, the layer before gives \(input.shapeText); put `flatten` before it")
            }
            if let expected, expected.value != input[0] {
                throw error(
                    expected.location, "linear expects \(expected.value) inputs, the layer before gives \(input[0])")
            }
            let outFeatures = width(out)
            let (weights, overflow) = input[0].multipliedReportingOverflow(by: outFeatures)
            guard !overflow, weights <= ResolvedNetwork.parameterLimit else {
                throw error(
                    here, "linear \(input[0]) -> \(outFeatures) has more than \(ResolvedNetwork.parameterLimit) weights"
                )
            }
            return try made(.linear(inFeatures: input[0], outFeatures: outFeatures), [outFeatures])
        case .batchNorm:
            try planes("batchnorm")
            return try made(.batchNorm(channels: input[0]), input)
        case .relu:
            return try made(.relu, input)
        case .dropout(let probability):
            return try made(.dropout(probability: probability), input)
        case .flatten:
            return try made(.flatten, [input.reduce(1, *)])
        case .globalAvgPool:
            try planes("globalavgpool")
            return try made(.globalAvgPool, [input[0]])
        case .maxPool(let kernel, let stride), .avgPool(let kernel, let stride):
            let isMax = if case .maxPool = layer.kind { true } else { false }
            let what = isMax ? "maxpool" : "avgpool"
            try planes(what)
            let (height, width) = try window(what, kernel: kernel, stride: stride, padding: 0)
            return try made(
                isMax ? .maxPool(kernel: kernel, stride: stride) : .avgPool(kernel: kernel, stride: stride),
                [input[0], height, width])
        case .residual(let body, let shortcut):
            let resolvedBody = try resolve(body, input: input)
            let resolvedShortcut = try shortcut.map { (layers) throws(NetworkError) in try resolve(layers, input: input)
            }
            let output = resolvedBody.last!.outputShape
            let skip = resolvedShortcut?.last!.outputShape ?? input
            guard output == skip else {
                throw error(
                    here,
                    "the residual body turns \(input.shapeDescription) into \(output.shapeDescription), but its "
                        + (shortcut == nil
                            ? "shortcut (the identity; add a `shortcut {` block) keeps " : "shortcut gives ")
                        + skip.shapeDescription)
            }
            return try made(.residual(body: resolvedBody, shortcut: resolvedShortcut), output)
        case .repeat(let count, let body):
            var passes: [[ResolvedLayer]] = []
            var shape = input
            for pass in 0..<count {
                do {
                    passes.append(try resolve(body, input: shape))
                } catch {
                    throw pass == 0
                        ? error
                        : NetworkError(
                            file: error.file, line: error.line, column: error.column,
                            message: error.message + " (in pass \(pass + 1) of the repeat)")
                }
                shape = passes.last!.last!.outputShape
            }
            return try made(.repeat(passes: passes), shape)
        }
    }
}
