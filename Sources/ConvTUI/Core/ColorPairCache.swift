/// Gives each (foreground, background) colour-number pair one curses colour-pair number, reused on
/// every draw, up to the terminal's number of pairs.
public struct ColorPairCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var foreground: Int32
        public var background: Int32
    }

    /// Highest pair number the terminal allows plus one (curses' `COLOR_PAIRS`).
    public let capacity: Int
    private var pairs: [Key: Int32] = [:]

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Pairs handed out so far.
    public var count: Int { pairs.count }

    /// The pair for these colours and whether it is new (the caller must then define it);
    /// `nil` when every pair is taken. Pair 0 (default on default) is never handed out.
    public mutating func pair(foreground: Int32, background: Int32) -> (number: Int32, isNew: Bool)? {
        if foreground == -1 && background == -1 { return (0, false) }
        let key = Key(foreground: foreground, background: background)
        if let number = pairs[key] { return (number, false) }
        guard pairs.count + 1 < capacity else { return nil }
        let number = Int32(pairs.count + 1)
        pairs[key] = number
        return (number, true)
    }

    /// Forgets every pair, so that numbers can be handed out again.
    public mutating func removeAll() {
        pairs.removeAll(keepingCapacity: true)
    }
}
