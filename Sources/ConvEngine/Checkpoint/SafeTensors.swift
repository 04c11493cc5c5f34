/// Named tensors and string metadata, as stored in a safetensors file.
///
/// The layout is the reference implementation's: an 8-byte little-endian header length `N`,
/// `N` bytes of UTF-8 JSON padded with spaces to a multiple of 8 (each tensor's `dtype`, `shape`
/// and `data_offsets` into the data buffer, plus an optional `__metadata__` object of strings),
/// then the data buffer, every byte of which belongs to exactly one tensor.
public struct SafeTensors: Equatable, Sendable {
    /// The tensors by name; the name `__metadata__` is reserved by the format.
    public var tensors: [String: SafeTensorsTensor]
    /// Free-form string pairs stored in the header's `__metadata__` object.
    public var metadata: [String: String]

    public init(tensors: [String: SafeTensorsTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The largest header the reader accepts, the reference implementation's limit.
    public static let maximumHeaderSize = 100_000_000
}
