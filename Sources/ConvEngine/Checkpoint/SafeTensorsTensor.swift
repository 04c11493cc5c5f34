/// One tensor of a safetensors file: element type, shape and little-endian bytes, row-major.
public struct SafeTensorsTensor: Equatable, Sendable {
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// The elements as stored in the file, little-endian, last dimension fastest.
    public let bytes: [UInt8]

    /// A tensor from raw bytes; returns nil when the byte count does not fit `shape` and `dtype`.
    public init?(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        guard let size = Self.byteCount(dtype: dtype, shape: shape), size == bytes.count else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A `F32` tensor; `values.count` must equal the product of `shape`.
    public init(float32 values: [Float], shape: [Int]) {
        self.init(checking: .f32, shape: shape, count: values.count, bytes: values.withUnsafeBytes(Array.init))
    }

    /// An `I64` tensor, such as BatchNorm's `num_batches_tracked` (shape `[]`, one element).
    public init(int64 values: [Int64], shape: [Int]) {
        self.init(checking: .i64, shape: shape, count: values.count, bytes: values.withUnsafeBytes(Array.init))
    }

    private init(checking dtype: SafeTensorsDType, shape: [Int], count: Int, bytes: [UInt8]) {
        // A mismatch is a programming error; `precondition` would vanish under -Ounchecked.
        guard let elements = Self.elementCount(shape), elements == count else {
            fatalError("SafeTensorsTensor: \(count) values do not fill shape \(shape)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements.
    public var count: Int { Self.elementCount(shape) ?? 0 }

    /// The elements of a `F32` tensor, or nil for another dtype.
    public func float32Values() -> [Float]? { dtype == .f32 ? loadElements() : nil }

    /// The elements of an `I64` tensor, or nil for another dtype.
    public func int64Values() -> [Int64]? { dtype == .i64 ? loadElements() : nil }

    private func loadElements<T: BitwiseCopyable>() -> [T] {
        let n = bytes.count / MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            initialized = n
        }
    }

    /// The product of the dimensions, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// Bytes that `shape` elements of `dtype` occupy, or nil when that is not a whole number of
    /// bytes or does not fit in `Int`.
    static func byteCount(dtype: SafeTensorsDType, shape: [Int]) -> Int? {
        guard let elements = elementCount(shape) else { return nil }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}

#if _endian(big)
#error("safetensors stores little-endian elements; this code copies them as host-order values")
#endif
