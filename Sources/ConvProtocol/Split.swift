/// The held-out images an evaluation ran on. The raw value is what the journal writes (`"split":"test"`).
///
/// Listed in the order viewers show them: the test set, when a dataset has one, is the main result.
public enum Split: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case test
    case validation

    public var description: String { rawValue }
}
