/// Why a line of the protocol (an event record or a command) could not be read: one sentence that
/// names the problem, for the reader to prefix with where the line came from.
public struct ProtocolError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
