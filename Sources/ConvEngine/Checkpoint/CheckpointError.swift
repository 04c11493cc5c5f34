/// A checkpoint or safetensors file that cannot be read or written.
///
/// Its description is one line that names the file and the problem, ready to show to the user:
/// `checkpoint.safetensors: truncated: header says 1234 bytes, file has 1000`.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the user named it.
    public let file: String
    /// What is wrong, without the file name.
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
