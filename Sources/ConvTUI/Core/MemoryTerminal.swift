/// A terminal in memory, for tests: it keeps the last frame, counts the cells each draw sent, and
/// returns keys queued in advance.
public struct MemoryTerminal: Terminal {
    public private(set) var size: (width: Int, height: Int)
    public var capabilities: TerminalCapabilities
    /// The screen as the last `draw` left it.
    public private(set) var screen: Buffer
    /// How many cells the last `draw` had to send.
    public private(set) var lastChangedCells = 0
    public private(set) var frames = 0
    /// Keys `readKey` returns, first first.
    public var pendingKeys: [Key] = []

    public init(width: Int, height: Int, capabilities: TerminalCapabilities = .init(colorDepth: .palette256)) {
        size = (width, height)
        self.capabilities = capabilities
        screen = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
    }

    /// The rows of the screen as strings.
    public var lines: [String] { screen.lines }

    /// Changes the size and queues a `.resize` key, as a real terminal does.
    public mutating func resize(width: Int, height: Int) {
        size = (width, height)
        pendingKeys.append(.resize)
    }

    public mutating func draw(_ buffer: Buffer) {
        lastChangedCells = buffer.diff(from: screen).count
        screen = buffer
        frames += 1
    }

    public mutating func readKey(timeout: Double) -> Key? {
        pendingKeys.isEmpty ? nil : pendingKeys.removeFirst()
    }
}
