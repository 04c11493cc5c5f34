/// How the dashboard looks and paces itself; the `convtop` command fills it from its options.
public struct DashboardOptions: Sendable, Equatable {
    /// Thumbnails as the user asked for them (`--thumbnails`).
    public enum Thumbnails: Sendable, Equatable {
        /// Half blocks when the terminal has colour, the ASCII ramp otherwise.
        case automatic
        /// Always the ASCII ramp (`--thumbnails ascii`).
        case ascii
    }

    public var thumbnails: Thumbnails
    /// Most frames drawn per second; key presses show at the next frame.
    public var framesPerSecond: Double
    /// Below this size the dashboard asks for a larger terminal.
    public var minimumWidth: Int
    public var minimumHeight: Int

    public init(
        thumbnails: Thumbnails = .automatic, framesPerSecond: Double = 15,
        minimumWidth: Int = 80, minimumHeight: Int = 24
    ) {
        self.thumbnails = thumbnails
        self.framesPerSecond = framesPerSecond
        self.minimumWidth = minimumWidth
        self.minimumHeight = minimumHeight
    }

    /// The thumbnail mode for a terminal with these capabilities.
    public func thumbnailMode(for capabilities: TerminalCapabilities) -> ThumbnailMode {
        thumbnails == .ascii || !capabilities.hasColor || !capabilities.unicode ? .ascii : .halfBlock
    }
}
