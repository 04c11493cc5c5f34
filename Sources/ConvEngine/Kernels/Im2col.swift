/// Unrolls image patches into a matrix so that a convolution becomes one GEMM.
enum Im2col {
    /// image is (C, H, W); columns is (C*K*K, OH*OW), row (c, kh, kw) holding that kernel tap
    /// for every output position, zero where the tap falls into the padding.
    static func unfold(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into columns: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth
        var row = columns
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for kh in 0..<g.kernel {
                for kw in 0..<g.kernel {
                    for y in 0..<oh {
                        let iy = y * g.stride - g.padding + kh
                        let out = row + y * ow
                        if iy < 0 || iy >= g.height {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let line = plane + iy * g.width
                        if g.stride == 1 {
                            // Contiguous run: columns whose input x lies inside the image.
                            let x0 = max(0, g.padding - kw), x1 = min(ow, g.width + g.padding - kw)
                            if x0 > 0 { out.update(repeating: 0, count: min(x0, ow)) }
                            if x1 > x0 { (out + x0).update(from: line + (x0 - g.padding + kw), count: x1 - x0) }
                            if x1 < ow { (out + max(x1, 0)).update(repeating: 0, count: ow - max(x1, 0)) }
                        } else {
                            for x in 0..<ow {
                                let ix = x * g.stride - g.padding + kw
                                out[x] = ix >= 0 && ix < g.width ? line[ix] : 0
                            }
                        }
                    }
                    row += oh * ow
                }
            }
        }
    }

    /// The adjoint of `unfold`: adds every entry of columns (C*K*K, OH*OW) into the image
    /// gradient (C, H, W) at the position it was read from. The caller zeroes the image first.
    static func fold(_ columns: UnsafePointer<Float>, _ g: ConvGeometry, into image: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth
        var row = columns
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for kh in 0..<g.kernel {
                for kw in 0..<g.kernel {
                    for y in 0..<oh {
                        let iy = y * g.stride - g.padding + kh
                        if iy < 0 || iy >= g.height { continue }
                        let line = plane + iy * g.width
                        let src = row + y * ow
                        if g.stride == 1 {
                            let x0 = max(0, g.padding - kw), x1 = min(ow, g.width + g.padding - kw)
                            if x1 > x0 {
                                let dst = line + (x0 - g.padding + kw)
                                for x in 0..<(x1 - x0) { dst[x] += src[x0 + x] }
                            }
                        } else {
                            for x in 0..<ow {
                                let ix = x * g.stride - g.padding + kw
                                if ix >= 0 && ix < g.width { line[ix] += src[x] }
                            }
                        }
                    }
                    row += oh * ow
                }
            }
        }
    }
}
