/// A network as a table, after torchinfo: one row per layer of the file (blocks and the layers
/// inside them, indented) with its output shape, parameters, multiply-adds and, for convolutions,
/// the kernel the engine runs; then totals and memory at a batch size.
public struct NetworkSummary: Sendable {
    public struct Row: Equatable, Sendable {
        /// 0 for the network's own layers, one more per enclosing block.
        public let depth: Int
        public let name: String
        /// The layer as the file says it, with its sizes: `conv 3->16 3x3 s1 p1`.
        public let layer: String
        public let outputShape: [Int]
        /// Learnable values, those inside a block included.
        public let parameters: Int
        public let multiplyAdds: Int
        /// A convolution's algorithm (`winograd`); for a ReLU fused into the batch norm before it, `in <bn>`.
        public let algorithm: String
        /// Values it keeps per image that the backward pass reads: its output, unless it works in place.
        let storedValues: Int
    }

    /// Microseconds per batch a top-level layer takes, forward and backward.
    public typealias LayerTime = (name: String, forward: Double, backward: Double)

    public let network: ResolvedNetwork
    public let rows: [Row]

    public init(_ network: ResolvedNetwork) {
        self.network = network
        var rows: [Row] = []
        Self.appendRows(network.layers, depth: 0, into: &rows)
        self.rows = rows
    }

    private static func appendRows(_ layers: [ResolvedLayer], depth: Int, into rows: inout [Row]) {
        for (index, layer) in layers.enumerated() {
            let fusedInto = ResolvedLayer.batchNormRunning(layers, at: index).map { layers[$0].name }
            var algorithm = fusedInto.map { "in \($0)" } ?? ""
            if case .conv(let c) = layer.operation {
                algorithm = c.algorithm(height: layer.inputShape[1], width: layer.inputShape[2]).description
            }
            let isLeaf = if case .repeat = layer.operation { false } else { true }
            // A batch norm keeps the output of the last layer it runs.
            let last = index + ResolvedLayer.layersRunInside(layers, at: index)
            rows.append(
                Row(
                    depth: depth, name: layer.name, layer: layer.kindDescription, outputShape: layer.outputShape,
                    parameters: layer.parameterCount, multiplyAdds: layer.multiplyAdds, algorithm: algorithm,
                    storedValues: isLeaf && fusedInto == nil ? layers[last].outputShape.reduce(1, *) : 0))
            switch layer.operation {
            case .residual(let body, let shortcut):
                appendRows(body, depth: depth + 1, into: &rows)
                if let shortcut {
                    rows.append(
                        Row(
                            depth: depth + 1, name: "shortcut", layer: "shortcut",
                            outputShape: shortcut.last!.outputShape,
                            parameters: shortcut.reduce(0) { $0 + $1.parameterCount },
                            multiplyAdds: shortcut.reduce(0) { $0 + $1.multiplyAdds }, algorithm: "", storedValues: 0))
                    appendRows(shortcut, depth: depth + 2, into: &rows)
                }
            case .repeat(let passes):
                for (pass, body) in passes.enumerated() {
                    rows.append(
                        Row(
                            depth: depth + 1, name: String(pass), layer: "pass", outputShape: body.last!.outputShape,
                            parameters: body.reduce(0) { $0 + $1.parameterCount },
                            multiplyAdds: body.reduce(0) { $0 + $1.multiplyAdds }, algorithm: "", storedValues: 0))
                    appendRows(body, depth: depth + 2, into: &rows)
                }
            default:
                break
            }
        }
    }

    /// Bytes of the input, the forward/backward pass (every stored output and its gradient, as
    /// torchinfo counts them) and the parameters, for a batch of `batch` in float32.
    public func memory(batch: Int) -> (input: Int, activations: Int, parameters: Int) {
        let stored = rows.reduce(0) { $0 + $1.storedValues }
        return (4 * batch * network.inputShape.reduce(1, *), 2 * 4 * batch * stored, 4 * network.parameterCount)
    }

    /// The table as lines of text; with `times`, two columns more and a total line.
    public func lines(batch: Int, times: [LayerTime]? = nil) -> [String] {
        let timeByName = Dictionary(
            (times ?? []).map { ($0.name, ($0.forward, $0.backward)) }, uniquingKeysWith: { a, _ in a })
        var header = ["Layer", "Output shape", "Param #", "Mult-adds", "Conv algorithm"]
        if times != nil { header += ["Forward us", "Backward us"] }
        var table = [header]
        for row in rows {
            var cells = [
                String(repeating: "  ", count: row.depth) + "\(row.name): \(row.layer)", row.outputShape.shapeText,
                row.parameters > 0 ? Self.grouped(row.parameters) : "-",
                row.multiplyAdds > 0 ? Self.grouped(row.multiplyAdds) : "-", row.algorithm,
            ]
            if times != nil {
                let time = row.depth == 0 ? timeByName[row.name] : nil
                cells += [time.map { String(format1: $0.0) } ?? "", time.map { String(format1: $0.1) } ?? ""]
            }
            table.append(cells)
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max()! }
        let leftAligned: Set<Int> = [0, 4]
        func render(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return leftAligned.contains(column) ? cells[column] + padding : padding + cells[column]
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var lines = [
            "\(network.name): input \(network.inputShape.shapeText), \(network.classes) classes, batch \(batch)", rule,
            render(header), rule,
        ]
        lines += table.dropFirst().map(render)
        lines.append(rule)
        let memory = memory(batch: batch)
        let multiplyAdds = network.multiplyAdds
        lines += [
            "Total parameters: \(Self.grouped(network.parameterCount))",
            "Multiply-adds: \(Self.grouped(multiplyAdds)) per image, \(Self.grouped(multiplyAdds.multipliedReportingOverflow(by: batch).partialValue)) per batch",
            "Input size (MB): \(Self.megabytes(memory.input))",
            "Forward/backward pass size (MB): \(Self.megabytes(memory.activations))",
            "Params size (MB): \(Self.megabytes(memory.parameters))",
            "Estimated total size (MB): \(Self.megabytes(memory.input + memory.activations + memory.parameters))",
        ]
        if let times {
            let forward = times.reduce(0) { $0 + $1.forward }, backward = times.reduce(0) { $0 + $1.backward }
            lines.append(
                "Measured per batch of \(batch): forward \(String(format1: forward / 1000)) ms, "
                    + "backward \(String(format1: backward / 1000)) ms")
        }
        return lines
    }

    /// 1234567 -> "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var result = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    static func megabytes(_ bytes: Int) -> String { String(format2: Double(bytes) / 1e6) }
}

extension ResolvedLayer {
    /// The index of the batch norm that the engine runs `layers[index]` inside, if any: a ReLU
    /// right after a batch norm, and a 2x2 max pool with stride 2 right after such a ReLU on maps
    /// the fused pool serves (`BatchNorm2d.takesMaxPool`).
    static func batchNormRunning(_ layers: [ResolvedLayer], at index: Int) -> Int? {
        guard index > layers.startIndex, index < layers.endIndex else { return nil }
        switch layers[index].operation {
        case .relu:
            if case .batchNorm = layers[index - 1].operation { return index - 1 }
        case .maxPool(kernel: 2, stride: 2):
            let shape = layers[index].inputShape
            if BatchNorm2d.takesMaxPool(height: shape[1], width: shape[2]),
                let norm = batchNormRunning(layers, at: index - 1)
            {
                return norm
            }
        default:
            break
        }
        return nil
    }

    /// How many of the layers after `layers[index]` the engine runs inside it: 0, or for a batch
    /// norm its ReLU (1) and the max pool after it (2).
    static func layersRunInside(_ layers: [ResolvedLayer], at index: Int) -> Int {
        var count = 0
        while batchNormRunning(layers, at: index + count + 1) == index { count += 1 }
        return count
    }

    /// The layer as a file would write it, with the sizes it was resolved to.
    public var kindDescription: String {
        switch operation {
        case .conv(let c):
            "conv \(c.inChannels)->\(c.outChannels) \(c.kernel)x\(c.kernel)" + (c.stride != 1 ? " s\(c.stride)" : "")
                + (c.padding != 0 ? " p\(c.padding)" : "") + (c.bias ? "" : " no bias")
        case .linear(let inFeatures, let outFeatures): "linear \(inFeatures)->\(outFeatures)"
        case .batchNorm(let channels): "batchnorm \(channels)"
        case .relu: "relu"
        case .maxPool(let kernel, let stride): "maxpool \(kernel)x\(kernel)" + (stride != kernel ? " s\(stride)" : "")
        case .avgPool(let kernel, let stride): "avgpool \(kernel)x\(kernel)" + (stride != kernel ? " s\(stride)" : "")
        case .globalAvgPool: "globalavgpool"
        case .dropout(let probability): "dropout \(probability)"
        case .flatten: "flatten"
        case .residual(_, let shortcut): shortcut == nil ? "residual" : "residual with shortcut"
        case .repeat(let passes): "repeat \(passes.count)"
        }
    }
}

extension String {
    /// One decimal place, without Foundation's formatter.
    init(format1 value: Double) { self = Self.fixed(value, places: 1) }
    /// Two decimal places.
    init(format2 value: Double) { self = Self.fixed(value, places: 2) }

    private static func fixed(_ value: Double, places: Int) -> String {
        let scale = places == 1 ? 10.0 : 100.0
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        let fractionText = String(fraction)
        return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)."
            + String(repeating: "0", count: places - fractionText.count) + fractionText
    }

    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
