/// A read-only matrix operand as `GEMM` sees it: `element(row, column)` is `base[row * ld + column]`,
/// or `base[column * ld + row]` when `transposed`.
struct MatrixOperand {
    var base: UnsafePointer<Float>
    var ld: Int
    var transposed: Bool

    /// The operand with rows and columns swapped (no data moves).
    var transpose: MatrixOperand { MatrixOperand(base: base, ld: ld, transposed: !transposed) }

    /// Copies rows `depth` x columns `columns` into slivers `width` columns wide, the layout the
    /// micro-kernel streams: `packed[s * depth.count * width + p * width + w]` is
    /// `element(depth.lowerBound + p, columns.lowerBound + s * width + w)`, zero past the last column.
    ///
    /// Packing B uses width 32 on op(B); packing A uses width 6 on op(A) transposed, so both
    /// transposes are absorbed here and the kernel always reads unit-stride slivers.
    func pack(depth: Range<Int>, columns: Range<Int>, width: Int, into packed: UnsafeMutablePointer<Float>) {
        let kc = depth.count
        var dst = packed
        for first in stride(from: columns.lowerBound, to: columns.upperBound, by: width) {
            let count = min(width, columns.upperBound - first)
            if transposed {
                // Columns are contiguous in memory: read down each column, write strided.
                for j in 0..<count {
                    let src = base + (first + j) * ld + depth.lowerBound
                    for p in 0..<kc { dst[p * width + j] = src[p] }
                }
                if count < width {
                    for p in 0..<kc { (dst + p * width + count).update(repeating: 0, count: width - count) }
                }
            } else {
                for p in 0..<kc {
                    let src = base + (depth.lowerBound + p) * ld + first
                    let row = dst + p * width
                    row.update(from: src, count: count)
                    if count < width { (row + count).update(repeating: 0, count: width - count) }
                }
            }
            dst += kc * width
        }
    }
}
