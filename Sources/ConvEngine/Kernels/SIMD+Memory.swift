import CPrefetch

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

extension SIMD16 where Scalar == Float {
    /// Writes the vector at `p`; with `streaming`, around the caches (`p` then 64-byte aligned): for
    /// results far larger than L2 that nothing reads at once (16.8 MB for 32 channels of 32x32 at
    /// batch 128), which a plain store would first read from memory, evicting what the pass is
    /// still reading. A pass that streams ends with `cstream_fence`.
    @inline(__always)
    func store(to p: UnsafeMutablePointer<Float>, streaming: Bool) {
        if streaming { cstream(p, self) } else { store(to: p) }
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Whether vector stores at this pointer and at multiples of each of `runs` floats from it are
    /// whole aligned vectors, as `store(to:streaming:)` needs them.
    func storesWholeVectors(runs: Int...) -> Bool {
        Int(bitPattern: self) % 64 == 0 && runs.allSatisfy { $0 % 16 == 0 }
    }
}

// Element-wise initialisers with constant indices compile to one permute each, where Swift's
// `evenHalf` and `oddHalf` may go lane by lane through the stack.
extension SIMD16 {
    /// Lanes 0, 2, ..., 14.
    @inline(__always)
    var evenLanes: SIMD8<Scalar> { SIMD8(self[0], self[2], self[4], self[6], self[8], self[10], self[12], self[14]) }

    /// Lanes 1, 3, ..., 15.
    @inline(__always)
    var oddLanes: SIMD8<Scalar> { SIMD8(self[1], self[3], self[5], self[7], self[9], self[11], self[13], self[15]) }

    /// even[0], odd[0], even[1], odd[1], ...
    @inline(__always)
    init(interleaving even: SIMD8<Scalar>, _ odd: SIMD8<Scalar>) {
        self.init(
            even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3], even[4], odd[4], even[5], odd[5],
            even[6], odd[6], even[7], odd[7])
    }
}
