/// The running model as `convtop model summary` tables it, for the dashboard's model screen: one
/// row per layer of the network file (blocks and the layers inside them, indented by `depth`) and
/// the totals. It travels in the run's `started` event, so a viewer attached later has it too.
public struct ModelTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// 0 for the network's own layers, one more per enclosing block.
        public var depth: Int
        public var name: String
        /// The layer with its sizes, as the file would write it: `conv 3->16 3x3 p1`.
        public var layer: String
        /// One image's output: channels, height, width, or features.
        public var outputShape: [Int]
        public var parameters: Int
        /// Per image.
        public var multiplyAdds: Int
        /// The convolution algorithm the engine runs (`winograd`); empty for other layers.
        public var algorithm: String

        public init(
            depth: Int, name: String, layer: String, outputShape: [Int], parameters: Int, multiplyAdds: Int,
            algorithm: String
        ) {
            self.depth = depth
            self.name = name
            self.layer = layer
            self.outputShape = outputShape
            self.parameters = parameters
            self.multiplyAdds = multiplyAdds
            self.algorithm = algorithm
        }
    }

    public var rows: [Row]
    /// Learnable values of the whole network.
    public var parameters: Int
    /// Multiply-adds of one image's forward pass.
    public var multiplyAdds: Int

    public init(rows: [Row], parameters: Int, multiplyAdds: Int) {
        self.rows = rows
        self.parameters = parameters
        self.multiplyAdds = multiplyAdds
    }
}
