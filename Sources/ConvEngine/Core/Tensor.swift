/// A dense array of `Float` with a shape.
///
/// Layout: contiguous and row-major, so the last dimension varies fastest. Images are NCHW
/// (batch, channels, height, width); matrices are (rows, columns); a shape of `[]` holds one scalar.
///
/// A tensor owns its memory. `resize(to:)` changes the shape in place and reallocates only when the
/// new shape holds more elements than ever before, so layers keep one output buffer and reuse it for
/// every batch, including a smaller last batch. Tensors are not `Sendable`: the engine's threads
/// touch them only inside `ThreadPool.run`, each task writing disjoint elements.
public final class Tensor {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The number of elements, the product of `shape`.
    public private(set) var count: Int
    /// The first element; valid for `count` elements.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        count = shape.reduce(1, *)
        capacity = max(count, 1)
        data = BufferMemory.allocate(capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding `values` in row-major order; `values.count` must equal the shape's product.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { BufferMemory.free(data) }

    /// Gives the tensor a new shape, keeping the memory when it is large enough.
    /// The contents are unspecified afterwards unless the shape is unchanged.
    public func resize(to newShape: [Int]) {
        if newShape == shape { return }
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            BufferMemory.free(data)
            capacity = newCount
            data = BufferMemory.allocate(capacity)
            data.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
        count = newCount
    }

    /// The elements in row-major order.
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Copies the shape and elements of `other`.
    public func copy(from other: Tensor) {
        resize(to: other.shape)
        data.update(from: other.data, count: count)
    }

    /// The number of elements per item of the outermost (batch) dimension.
    public var itemCount: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
