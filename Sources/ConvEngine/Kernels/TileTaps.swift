/// The 3x3 taps of one input channel for the 8 output channels of a micro-kernel tile, a tap per
/// vector with the output channels in the lanes (zero past the last output channel): the Winograd
/// weight transforms compute a whole tile's transformed weights with each vector operation.
struct TileTaps {
    typealias Lanes = SIMD8<Float>

    /// Taps (row, column) = (0, 0), (0, 1), ... (2, 2).
    var g0 = Lanes(), g1 = Lanes(), g2 = Lanes(), g3 = Lanes(), g4 = Lanes(), g5 = Lanes()
    var g6 = Lanes(), g7 = Lanes(), g8 = Lanes()

    /// From weight (OC, C, 3, 3): output channels `tile * 8 ..< tile * 8 + 8`, input channel `i`.
    @inline(__always)
    init(_ weight: UnsafePointer<Float>, tile: Int, channel i: Int, channels c: Int, outChannels: Int) {
        let rows = MicroKernel.rows
        for l in 0..<min(rows, outChannels - tile * rows) {
            let taps = weight + ((tile * rows + l) * c + i) * 9
            (g0[l], g1[l], g2[l]) = (taps[0], taps[1], taps[2])
            (g3[l], g4[l], g5[l]) = (taps[3], taps[4], taps[5])
            (g6[l], g7[l], g8[l]) = (taps[6], taps[7], taps[8])
        }
    }
}
