/// Colours and attributes of a cell.
public struct Style: Sendable, Equatable, Hashable {
    public var foreground: Color
    public var background: Color
    public var modifiers: Modifiers

    /// Text attributes, combined as an option set.
    public struct Modifiers: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let bold = Modifiers(rawValue: 1)
        public static let dim = Modifiers(rawValue: 2)
        public static let reverse = Modifiers(rawValue: 4)
        public static let underline = Modifiers(rawValue: 8)
    }

    public init(foreground: Color = .reset, background: Color = .reset, modifiers: Modifiers = []) {
        self.foreground = foreground
        self.background = background
        self.modifiers = modifiers
    }

    public static let plain = Style()

    /// The same style with more modifiers.
    public func adding(_ m: Modifiers) -> Style { var s = self; s.modifiers.formUnion(m); return s }
}
