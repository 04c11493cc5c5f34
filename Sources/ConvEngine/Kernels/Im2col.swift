/// Unrolls image patches into a matrix so that a convolution becomes one GEMM.
///
/// The columns matrix is (C*K*K, OH*OW): row (c, kh, kw) holds that kernel tap for every output
/// position, zero where the tap falls into the padding. Its rows are `rowStride` floats apart, so
/// several images can be unfolded side by side into one wider matrix. Stride-1 layers with "same"
/// padding use `SamePaddedTaps`, which moves whole planes, instead.
enum Im2col {
    /// image (C, H, W) -> columns (C*K*K, OH*OW) with rows `rowStride` apart.
    static func unfold(
        _ image: UnsafePointer<Float>, _ g: ConvGeometry, into columns: UnsafeMutablePointer<Float>,
        rowStride: Int
    ) {
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

    /// The adjoint of `unfold`: adds every entry of columns (C*K*K, OH*OW) into the image
    /// gradient (C, H, W) at the position it was read from. The caller zeroes the image first.
    static func fold(
        _ columns: UnsafeMutablePointer<Float>, _ g: ConvGeometry, rowStride: Int,
        into image: UnsafeMutablePointer<Float>
    ) {
        forEachLine(g, rowStride: rowStride) { columnOffset, imageOffset, kw in
            guard let imageOffset else { return }
            let src = columns + columnOffset, line = image + imageOffset
            if g.stride == 1 {
                let inside = insideRange(g, kw)
                Elementwise.add(
                    src + inside.lowerBound, to: line + inside.lowerBound - g.padding + kw, count: inside.count)
            } else {
                for x in 0..<g.outWidth {
                    let ix = x * g.stride - g.padding + kw
                    if ix >= 0 && ix < g.width { line[ix] += src[x] }
                }
            }
        }
    }

    /// Calls `body` for every output row y of every tap (c, kh, kw) with the offset of that row
    /// in the columns matrix, the offset of the image line it reads (nil inside the padding) and kw.
    @inline(__always)
    private static func forEachLine(
        _ g: ConvGeometry, rowStride: Int,
        _ body: (_ columnOffset: Int, _ imageOffset: Int?, _ kw: Int) -> Void
    ) {
        var row = 0
        for c in 0..<g.channels {
            for kh in 0..<g.kernel {
                for kw in 0..<g.kernel {
                    for y in 0..<g.outHeight {
                        let iy = y * g.stride - g.padding + kh
                        body(
                            row * rowStride + y * g.outWidth,
                            iy >= 0 && iy < g.height ? (c * g.height + iy) * g.width : nil, kw)
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
    static func scatter(
        _ side: UnsafePointer<Float>, into images: UnsafeMutablePointer<Float>, count: Int, rows: Int,
        plane: Int
    ) {
        for j in 0..<count {
            for r in 0..<rows {
                (images + (j * rows + r) * plane).update(from: side + r * count * plane + j * plane, count: plane)
            }
        }
    }

    /// images (count, rows, plane) -> side (rows, count * plane)
    static func gather(
        _ images: UnsafePointer<Float>, into side: UnsafeMutablePointer<Float>, count: Int, rows: Int,
        plane: Int
    ) {
        for j in 0..<count {
            for r in 0..<rows {
                (side + r * count * plane + j * plane).update(from: images + (j * rows + r) * plane, count: plane)
            }
        }
    }
}
