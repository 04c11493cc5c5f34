/// The weight gradient of layers with 9 to 16 output channels (LeNet's 6->16 conv), with the
/// output channels in the lanes.
///
/// Positions in the lanes (`accumulateWeightLanes`) fit such layers badly: LeNet's 10-wide output
/// rows fill 10 of 16 lanes, and a sweep over one image's 10 positions is too short to pay for
/// writing its 15 partial sums back. Here the output gradient is transposed once per image to
/// (position, channel) over the input's row stride: position y * S + x holds dy[., y, x], and
/// columns past the output width are zero, so every tap's sum runs over one contiguous range:
///
///     dW[., c, ky, kx] = sum over q of x[c, q + ky * S] * dyT[q - kx]
///
/// Per q, 5 kernel rows x 5 kernel columns take 25 accumulators: five broadcast input values
/// times five gradient vectors already aligned in L1. Lanes are output channels, so the partial
/// sums need no horizontal reduction.
extension DirectConv {
    /// Kernel rows and columns per register block.
    static let channelLaneBlock = 5

    /// Whether the weight gradient keeps output channels in the lanes: more than half a vector of
    /// them.
    static func keepsChannelsInLanes(outChannels: Int) -> Bool { outChannels > lanes / 2 && outChannels <= lanes }

    /// Output rows and columns per forward register block of `convolveChannelLanes`.
    static let channelLaneRows = 2, channelLaneColumns = 5

    /// output (outChannels, OH, OW) = conv(staged input) + bias, overwritten, with the output
    /// channels in the lanes: blocks of 2 rows x 5 columns in 10 accumulators (the last block of a
    /// row or plane overlaps the one before); per tap one vector of weights, (C, K, K, 16), and ten
    /// broadcast input values. LeNet's 10-wide rows would fill 10 of 16 lanes with positions in
    /// them; here every lane of a 16-channel layer works.
    static func convolveChannelLanes(
        _ input: UnsafePointer<Float>, _ s: Staging, kernel k: Int,
        packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
        positionMajor: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let (rows, columns) = (channelLaneRows, channelLaneColumns)
        let plane = s.outHeight * s.outWidth, stride = s.rowStride
        var start = SIMD16<Float>()
        if let bias { for o in 0..<outChannels { start[o] = bias[o] } }
        for y0 in Swift.stride(from: 0, to: s.outHeight, by: rows) {
            let y = min(y0, s.outHeight - rows)
            for x0 in Swift.stride(from: 0, to: s.outWidth, by: columns) {
                let x = min(x0, s.outWidth - columns)
                var a00 = start, a01 = start, a02 = start, a03 = start, a04 = start
                var a10 = start, a11 = start, a12 = start, a13 = start, a14 = start
                var w = UnsafeRawPointer(packed)
                for c in 0..<s.channels {
                    for ky in 0..<k {
                        let r0 = input + c * s.planeStride + (y + ky) * stride + x, r1 = r0 + stride
                        for kx in 0..<k {
                            let wv = w.load(as: SIMD16<Float>.self)
                            a00.addProduct(SIMD16(repeating: r0[kx]), wv)
                            a01.addProduct(SIMD16(repeating: r0[kx + 1]), wv)
                            a02.addProduct(SIMD16(repeating: r0[kx + 2]), wv)
                            a03.addProduct(SIMD16(repeating: r0[kx + 3]), wv)
                            a04.addProduct(SIMD16(repeating: r0[kx + 4]), wv)
                            a10.addProduct(SIMD16(repeating: r1[kx]), wv)
                            a11.addProduct(SIMD16(repeating: r1[kx + 1]), wv)
                            a12.addProduct(SIMD16(repeating: r1[kx + 2]), wv)
                            a13.addProduct(SIMD16(repeating: r1[kx + 3]), wv)
                            a14.addProduct(SIMD16(repeating: r1[kx + 4]), wv)
                            w += 64
                        }
                    }
                }
                let to = UnsafeMutableRawPointer(positionMajor + (y * s.outWidth + x) * lanes)
                let below = to + 4 * s.outWidth * lanes
                store(to, a00, a01, a02, a03, a04)
                store(below, a10, a11, a12, a13, a14)
            }
        }
        for o in 0..<outChannels {
            let to = output + o * plane
            for p in 0..<plane { to[p] = positionMajor[p * lanes + o] }
        }
    }

    /// Five vectors to consecutive positions from `to`.
    @inline(__always)
    private static func store(
        _ to: UnsafeMutableRawPointer, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>,
        _ v2: SIMD16<Float>, _ v3: SIMD16<Float>, _ v4: SIMD16<Float>
    ) {
        to.storeBytes(of: v0, as: SIMD16<Float>.self)
        to.storeBytes(of: v1, toByteOffset: 64, as: SIMD16<Float>.self)
        to.storeBytes(of: v2, toByteOffset: 128, as: SIMD16<Float>.self)
        to.storeBytes(of: v3, toByteOffset: 192, as: SIMD16<Float>.self)
        to.storeBytes(of: v4, toByteOffset: 256, as: SIMD16<Float>.self)
    }

    /// Rows of zero vectors before and after the transposed gradient, for the column block's
    /// shifts.
    static let transposedMargin = channelLaneBlock - 1

    /// Vectors of the transposed gradient of an image read through `s`.
    static func transposedRows(_ s: Staging) -> Int {
        span(s) + 2 * transposedMargin
    }

    /// Flattened positions from the first output to the last, at the input's row stride.
    private static func span(_ s: Staging) -> Int { (s.outHeight - 1) * s.rowStride + s.outWidth }

    /// gradient (channels, OH, OW) -> (transposedRows, 16): row margin + y * S + x holds
    /// gradient[., y, x] in lanes 0..<channels; everything else is zero.
    static func transposeGradient(
        _ gradient: UnsafePointer<Float>, _ s: Staging, channels: Int,
        into transposed: UnsafeMutablePointer<Float>
    ) {
        transposed.update(repeating: 0, count: transposedRows(s) * lanes)
        let plane = s.outHeight * s.outWidth
        for o in 0..<channels {
            for y in 0..<s.outHeight {
                let from = gradient + o * plane + y * s.outWidth
                let to = transposed + (transposedMargin + y * s.rowStride) * lanes + o
                for x in 0..<s.outWidth { to[x * lanes] = from[x] }
            }
        }
    }

    /// lanes (C, K, K, 16) += per output channel lane, sum over positions of input x transposed
    /// gradient.
    static func accumulateChannelLanes(
        _ input: UnsafePointer<Float>, _ s: Staging, kernel k: Int,
        gradient: UnsafePointer<Float>, into lanesOut: UnsafeMutablePointer<Float>
    ) {
        let block = channelLaneBlock, stride = s.rowStride, span = span(s)
        for c in 0..<s.channels {
            let plane = input + c * s.planeStride
            for ky0 in Swift.stride(from: 0, to: k, by: block) {
                // Rows past the kernel read row 0 of the plane; their sums are dropped.
                func row(_ r: Int) -> UnsafePointer<Float> { ky0 + r < k ? plane + (ky0 + r) * stride : plane }
                let x0 = row(0), x1 = row(1), x2 = row(2), x3 = row(3), x4 = row(4)
                for kx0 in Swift.stride(from: 0, to: k, by: block) {
                    let columns = min(block, k - kx0)
                    var a00 = SIMD16<Float>(), a01 = a00, a02 = a00, a03 = a00, a04 = a00
                    var a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00
                    var a20 = a00, a21 = a00, a22 = a00, a23 = a00, a24 = a00
                    var a30 = a00, a31 = a00, a32 = a00, a33 = a00, a34 = a00
                    var a40 = a00, a41 = a00, a42 = a00, a43 = a00, a44 = a00
                    // Column kx0 + j reads dyT[q - kx0 - j], stored margin rows further on.
                    var column = UnsafeRawPointer(gradient + transposedMargin * lanes)
                    for q in kx0..<(kx0 + columns - 1 + span) {
                        let d0 = column.load(as: SIMD16<Float>.self)
                        let d1 = column.load(fromByteOffset: -64, as: SIMD16<Float>.self)
                        let d2 = column.load(fromByteOffset: -128, as: SIMD16<Float>.self)
                        let d3 = column.load(fromByteOffset: -192, as: SIMD16<Float>.self)
                        let d4 = column.load(fromByteOffset: -256, as: SIMD16<Float>.self)
                        let d = (d0, d1, d2, d3, d4)
                        accumulate(x0[q], d, &a00, &a01, &a02, &a03, &a04)
                        accumulate(x1[q], d, &a10, &a11, &a12, &a13, &a14)
                        accumulate(x2[q], d, &a20, &a21, &a22, &a23, &a24)
                        accumulate(x3[q], d, &a30, &a31, &a32, &a33, &a34)
                        accumulate(x4[q], d, &a40, &a41, &a42, &a43, &a44)
                        column += 64
                    }
                    let rows = min(block, k - ky0)
                    let target = lanesOut + ((c * k + ky0) * k + kx0) * lanes
                    addLanes(target, columns, a00, a01, a02, a03, a04)
                    if rows > 1 { addLanes(target + k * lanes, columns, a10, a11, a12, a13, a14) }
                    if rows > 2 { addLanes(target + 2 * k * lanes, columns, a20, a21, a22, a23, a24) }
                    if rows > 3 { addLanes(target + 3 * k * lanes, columns, a30, a31, a32, a33, a34) }
                    if rows > 4 { addLanes(target + 4 * k * lanes, columns, a40, a41, a42, a43, a44) }
                }
            }
        }
    }

    /// One kernel row's five accumulators += the input value times the five gradient vectors.
    @inline(__always)
    private static func accumulate(
        _ x: Float,
        _ d: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>),
        _ a0: inout SIMD16<Float>, _ a1: inout SIMD16<Float>, _ a2: inout SIMD16<Float>,
        _ a3: inout SIMD16<Float>, _ a4: inout SIMD16<Float>
    ) {
        let b = SIMD16<Float>(repeating: x)
        a0.addProduct(b, d.0); a1.addProduct(b, d.1); a2.addProduct(b, d.2)
        a3.addProduct(b, d.3); a4.addProduct(b, d.4)
    }
}
