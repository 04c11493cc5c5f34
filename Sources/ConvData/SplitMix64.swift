/// SplitMix64: a tiny, well-mixed generator whose whole state is one number, so any draw can be
/// recomputed from (seed, epoch, position) without replaying the draws before it.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one stream, keyed by several numbers.
    init(_ keys: UInt64...) {
        var state: UInt64 = 0x243F_6A88_85A3_08D3
        for key in keys {
            var mixer = SplitMix64(seed: state ^ key)
            state = mixer.next()
        }
        self.state = state
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
