/// Unrolls image patches into a matrix so that a convolution becomes one GEMM.
///
/// The columns matrix is (C*K*K, OH*OW): row (c, kh, kw) holds that kernel tap for every output
/// position, zero where the tap falls into the padding. Its rows are `rowStride` floats apart, so
/// several images can be unfolded side by side into one wider matrix.
enum Im2col {
    /// image (C, H, W) -> columns (C*K*K, OH*OW) with rows `rowStride` apart.
    static func unfold(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into columns: UnsafeMutablePointer<Float>,
                       rowStride: Int) {
        if g.isSamePadded {
            unfoldSamePadded(image, g, into: columns, rowStride: rowStride)
            return
        }
        if g.stride == 1 {
            unfoldStrideOne(image, g, into: columns, rowStride: rowStride)
            return
        }
        forEachLine(g, rowStride: rowStride) { columnOffset, imageOffset, kw in
            let out = columns + columnOffset
            guard let imageOffset else {
                out.update(repeating: 0, count: g.outWidth)
                return
            }
            let line = image + imageOffset
            for x in 0..<g.outWidth {
                let ix = x * g.stride - g.padding + kw
                out[x] = ix >= 0 && ix < g.width ? line[ix] : 0
            }
        }
    }

    /// `unfold` for stride 1 with "same" padding and contiguous rows: a tap's row is the whole
    /// input plane shifted by (kh - p) lines and (kw - p) columns, so it is one long copy plus
    /// zeroed padding lines and edge columns, instead of one short copy per output line.
    private static func unfoldSamePadded(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                                         into columns: UnsafeMutablePointer<Float>, rowStride: Int) {
        let w = g.width, oh = g.outHeight, p = g.padding
        var tap = 0
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for kh in 0..<g.kernel {
                let y0 = min(max(0, p - kh), oh), y1 = max(y0, min(oh, g.height + p - kh))
                for kw in 0..<g.kernel {
                    let shift = kw - p, out = columns + tap * rowStride
                    tap += 1
                    out.update(repeating: 0, count: y0 * w)
                    (out + y1 * w).update(repeating: 0, count: (oh - y1) * w)
                    if y1 > y0 {
                        // Skip the first |shift| (left shift) or last shift (right shift) elements so
                        // the copy stays inside the valid source lines; they are edges, zeroed below.
                        let skip = max(0, -shift), count = (y1 - y0) * w - abs(shift)
                        (out + y0 * w + skip).update(from: plane + (y0 + kh - p) * w + shift + skip, count: count)
                        for y in y0..<y1 {
                            let line = out + y * w
                            if shift > 0 { (line + w - shift).update(repeating: 0, count: shift) }
                            if shift < 0 { line.update(repeating: 0, count: -shift) }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `unfold`: adds every entry of columns (C*K*K, OH*OW) into the image
    /// gradient (C, H, W) at the position it was read from. The caller zeroes the image first.
    /// Entries that were read from the padding may be overwritten with zeros.
    static func fold(_ columns: UnsafeMutablePointer<Float>, _ g: ConvGeometry, rowStride: Int,
                     into image: UnsafeMutablePointer<Float>) {
        if g.isSamePadded {
            foldSamePadded(columns, g, rowStride: rowStride, into: image)
            return
        }
        forEachLine(g, rowStride: rowStride) { columnOffset, imageOffset, kw in
            guard let imageOffset else { return }
            let src = columns + columnOffset, line = image + imageOffset
            if g.stride == 1 {
                let inside = insideRange(g, kw)
                Elementwise.add(src + inside.lowerBound, to: line + inside.lowerBound - g.padding + kw, count: inside.count)
            } else {
                for x in 0..<g.outWidth {
                    let ix = x * g.stride - g.padding + kw
                    if ix >= 0 && ix < g.width { line[ix] += src[x] }
                }
            }
        }
    }

    /// `fold` for stride 1 with "same" padding, the adjoint of `unfoldSamePadded`: each tap's row
    /// is added to the input plane shifted by (kh - p) lines and (kw - p) columns in one long run.
    /// The run also covers the entries that read across a line edge (from the padding); those
    /// are zeroed first, so they add nothing to the neighbouring line they land on.
    private static func foldSamePadded(_ columns: UnsafeMutablePointer<Float>, _ g: ConvGeometry, rowStride: Int,
                                       into image: UnsafeMutablePointer<Float>) {
        let w = g.width, oh = g.outHeight, p = g.padding
        var tap = 0
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for kh in 0..<g.kernel {
                let y0 = min(max(0, p - kh), oh), y1 = max(y0, min(oh, g.height + p - kh))
                for kw in 0..<g.kernel {
                    let shift = kw - p, row = columns + tap * rowStride
                    tap += 1
                    guard y1 > y0 else { continue }
                    for y in y0..<y1 {
                        let line = row + y * w
                        if shift > 0 { (line + w - shift).update(repeating: 0, count: shift) }
                        if shift < 0 { line.update(repeating: 0, count: -shift) }
                    }
                    let skip = max(0, -shift), count = (y1 - y0) * w - abs(shift)
                    Elementwise.add(row + y0 * w + skip, to: plane + (y0 + kh - p) * w + shift + skip, count: count)
                }
            }
        }
    }

    /// Calls `body` for every output row y of every tap (c, kh, kw) with the offset of that row
    /// in the columns matrix, the offset of the image line it reads (nil inside the padding) and kw.
    @inline(__always)
    private static func forEachLine(_ g: ConvGeometry, rowStride: Int,
                                    _ body: (_ columnOffset: Int, _ imageOffset: Int?, _ kw: Int) -> Void) {
        var row = 0
        for c in 0..<g.channels {
            for kh in 0..<g.kernel {
                for kw in 0..<g.kernel {
                    for y in 0..<g.outHeight {
                        let iy = y * g.stride - g.padding + kh
                        body(row * rowStride + y * g.outWidth, iy >= 0 && iy < g.height ? (c * g.height + iy) * g.width : nil, kw)
                    }
                    row += 1
                }
            }
        }
    }

    /// With stride 1, the output columns x whose input column x - padding + kw lies in the image.
    @inline(__always)
    private static func insideRange(_ g: ConvGeometry, _ kw: Int) -> Range<Int> {
        let lower = min(max(0, g.padding - kw), g.outWidth)
        return lower..<max(lower, min(g.outWidth, g.width + g.padding - kw))
    }
}

/// Moves a group of images between NCHW, (count, rows, plane), and the side-by-side layout of a
/// batched GEMM, (rows, count * plane).
enum ImageGroup {
    /// side (rows, count * plane) -> images (count, rows, plane)
    static func scatter(_ side: UnsafePointer<Float>, into images: UnsafeMutablePointer<Float>, count: Int, rows: Int,
                        plane: Int) {
        for j in 0..<count {
            for r in 0..<rows {
                (images + (j * rows + r) * plane).update(from: side + r * count * plane + j * plane, count: plane)
            }
        }
    }

    /// images (count, rows, plane) -> side (rows, count * plane)
    static func gather(_ images: UnsafePointer<Float>, into side: UnsafeMutablePointer<Float>, count: Int, rows: Int,
                       plane: Int) {
        for j in 0..<count {
            for r in 0..<rows {
                (side + r * count * plane + j * plane).update(from: images + (j * rows + r) * plane, count: plane)
            }
        }
    }
}

private extension ConvGeometry {
    /// Stride 1 with "same" padding (2 * padding = kernel - 1): the output plane is the input's.
    var isSamePadded: Bool { stride == 1 && 2 * padding == kernel - 1 }
}
