/// A line of a run's server that is not an event: `live` after the history a viewer receives on
/// connecting (what follows happens now), and, just before it closes the connection, why: the
/// viewer sent a line that is not a command (`error`), or it read too slowly and its queue of
/// events filled (`dropped`). `{"v":1,"type":"error","message":"..."}`
public struct ConnectionNotice: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case live
        case error
        case dropped
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The notice as one line of JSON, without the newline.
    public func jsonLine() -> String {
        LineCoding.line(Fields(type: kind, message: message))
    }

    /// Parses a line written by `jsonLine()`; throws a `ProtocolError` for any other line (an
    /// event's line among them, whose type is not a notice's).
    public init(jsonLine: Substring) throws {
        let fields = try LineCoding.decode(Fields.self, from: jsonLine)
        self.init(fields.type, fields.message)
    }

    private struct Fields: Codable {
        var v: Int? = LineFormat.version
        var type: Kind
        var message: String
    }
}
