extension Im2col {
    /// `unfold` for stride 1: each output line of a tap is one contiguous run of an input line.
    /// columns (C*K*K, OH*OW) has its rows `rowStride` floats apart.
    ///
    /// A run is copied as whole 16-float vectors that may spill up to 15 floats past it: reading
    /// further into the image and writing into the tap's later output lines, which are written
    /// after it. Lines whose spill would leave the image, or the tap's own OH*OW segment of the
    /// row (where another image's columns may already be), are copied exactly. One vector per
    /// line instead of a copy loop makes LeNet's unfolds (lines of 28 and 10) about 4x faster.
    static func unfoldStrideOne(
        _ image: UnsafePointer<Float>, _ g: ConvGeometry,
        into columns: UnsafeMutablePointer<Float>, rowStride: Int
    ) {
        let oh = g.outHeight, ow = g.outWidth, width = g.width, padding = g.padding
        let imageEnd = image + g.channels * g.inputPlane
        var tap = 0
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for kh in 0..<g.kernel {
                // Output lines y0..<y1 read an image line; the others lie in the padding.
                let y0 = min(oh, max(0, padding - kh)), y1 = max(y0, min(oh, g.height + padding - kh))
                for kw in 0..<g.kernel {
                    // Output columns x0..<x1 read inside the image line.
                    let x0 = min(ow, max(0, padding - kw)), x1 = max(x0, min(ow, width + padding - kw))
                    let row = columns + tap * rowStride, count = x1 - x0
                    tap += 1
                    row.update(repeating: 0, count: y0 * ow)
                    if count == 0 {
                        (row + y0 * ow).update(repeating: 0, count: (oh - y0) * ow)
                        continue
                    }
                    let spill = (count + 15) & ~15
                    var source = plane + (y0 - padding + kh) * width + (x0 - padding + kw)
                    for y in y0..<y1 {
                        let line = row + y * ow
                        for x in 0..<x0 { line[x] = 0 }
                        if source + spill <= imageEnd && y * ow + x0 + spill <= oh * ow {
                            copyVectors(from: source, to: line + x0, count: count)
                        } else {
                            copyExactly(from: source, to: line + x0, count: count)
                        }
                        for x in x1..<ow { line[x] = 0 }
                        source += width
                    }
                    (row + y1 * ow).update(repeating: 0, count: (oh - y1) * ow)
                }
            }
        }
    }

    /// Copies `count` floats as whole 16-float vectors, writing up to 15 floats past the end.
    @inline(__always)
    private static func copyVectors(
        from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(target)
        for offset in stride(from: 0, to: count * 4, by: 64) {
            dst.storeBytes(
                of: src.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                toByteOffset: offset, as: SIMD16<Float>.self)
        }
    }

    /// Copies exactly `count` floats: 4-float vectors, the last one overlapping its predecessor.
    @inline(__always)
    private static func copyExactly(
        from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        guard count >= 4 else {
            for x in 0..<count { target[x] = source[x] }
            return
        }
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(target)
        let last = (count - 4) * 4
        for offset in stride(from: 0, to: last, by: 16) {
            dst.storeBytes(
                of: src.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                toByteOffset: offset, as: SIMD4<Float>.self)
        }
        dst.storeBytes(
            of: src.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self),
            toByteOffset: last, as: SIMD4<Float>.self)
    }
}
