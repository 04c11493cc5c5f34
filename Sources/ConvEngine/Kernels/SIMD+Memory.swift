extension SIMD {
    /// The vector of `scalarCount` elements from `p` on, which need not be aligned.
    @inline(__always)
    static func load(_ p: UnsafePointer<Scalar>) -> Self {
        UnsafeRawPointer(p).loadUnaligned(as: Self.self)
    }

    /// Writes the vector's elements from `p` on, which need not be aligned.
    @inline(__always)
    func store(to p: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self)
    }
}
