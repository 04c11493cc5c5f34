/// The element-wise products of the fp32 Winograd kernels (`WinogradConv`, `WinogradF4Conv`) on
/// the GEMM micro-kernel: one small GEMM per element of the transformed patch.
enum WinogradProducts {
    /// M[e] (8, columns) = U[e] (the tile's 8 output channels, C) x V[e] (C, columns) for every
    /// element e: U packed (element, channel tile, C, 8), V's rows and M's `stride` floats apart,
    /// elements C and 8 rows apart.
    static func multiply(
        elements: Int, packedWeight u: UnsafePointer<Float>, channelTiles: Int, tile: Int, rows: Int,
        channels c: Int, patches v: UnsafePointer<Float>, columns: Int, stride: Int,
        into m: UnsafeMutablePointer<Float>
    ) {
        let tileRows = MicroKernel.rows, update = MicroKernel.Update(alpha: 1, beta: 0)
        for e in 0..<elements {
            let a = u + (e * channelTiles + tile) * c * tileRows
            for sliver in Swift.stride(from: 0, to: columns, by: MicroKernel.columns) {
                MicroKernel.tile(
                    depth: c, a: a, b: v + e * c * stride + sliver, bStride: stride,
                    c: m + e * tileRows * stride + sliver, ldc: stride, m: rows, update: update)
            }
        }
    }

    /// dU[e]^T (C, OC padded) = V[e] (C, depth) x dM[e] (depth, OC padded), plus the sums already
    /// there unless `first`, for every element e: 8 rows of V (rows `stride` floats apart, elements
    /// C rows apart) read in place against 32-channel slivers of dM (elements `columns` rows apart).
    static func accumulateWeightProducts(
        elements: Int, patches v: UnsafePointer<Float>, stride: Int, channels c: Int, depth: Int,
        gradients dm: UnsafePointer<Float>, columns: Int, paddedChannels: Int, first: Bool,
        into sums: UnsafeMutablePointer<Float>
    ) {
        let update = MicroKernel.Update(alpha: 1, beta: first ? 0 : 1)
        for e in 0..<elements {
            let ve = v + e * c * stride, dme = dm + e * columns * paddedChannels
            for i in Swift.stride(from: 0, to: c, by: MicroKernel.rows) {
                for o in Swift.stride(from: 0, to: paddedChannels, by: MicroKernel.columns) {
                    MicroKernel.tile(
                        depth: depth, a: ve + i * stride, aRowStride: stride, aStep: 1,
                        b: dme + o, bStride: paddedChannels, c: sums + (e * c + i) * paddedChannels + o,
                        ldc: paddedChannels, m: min(MicroKernel.rows, c - i), update: update)
                }
            }
        }
    }
}
