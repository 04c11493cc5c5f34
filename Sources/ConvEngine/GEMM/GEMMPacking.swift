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
    /// Packing B uses width 32 on op(B); packing A uses width 8 on op(A) transposed, so both
    /// transposes are absorbed here and the kernel always reads unit-stride slivers.
    func pack(depth: Range<Int>, columns: Range<Int>, width: Int, into packed: UnsafeMutablePointer<Float>) {
        let kc = depth.count
        var dst = packed
        for first in stride(from: columns.lowerBound, to: columns.upperBound, by: width) {
            let count = min(width, columns.upperBound - first)
            if transposed {
                // Columns are contiguous in memory: transpose 16 x 16 blocks in registers, and
                // read down each remaining column, writing strided.
                let blocked = count >= 16 ? (kc / 16) * 16 : 0
                for j0 in stride(from: 0, to: count - count % 16, by: 16) {
                    for p0 in stride(from: 0, to: blocked, by: 16) {
                        Self.transpose16(
                            from: base + (first + j0) * ld + depth.lowerBound + p0, ld: ld,
                            to: dst + p0 * width + j0, ldTo: width)
                    }
                }
                for j in 0..<count {
                    let src = base + (first + j) * ld + depth.lowerBound
                    let start = j < count - count % 16 ? blocked : 0
                    for p in start..<kc { dst[p * width + j] = src[p] }
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

    /// Writes the transpose of the 16 x 16 block at `source` (rows `ld` apart) to `target`.
    ///
    /// Four rounds of splitting row pairs into even and odd elements transpose the block; each
    /// round is a set of two-source vector shuffles.
    @inline(__always)
    private static func transpose16(
        from source: UnsafePointer<Float>, ld: Int,
        to target: UnsafeMutablePointer<Float>, ldTo: Int
    ) {
        // Tuples live on the stack; a temporary allocation this large would go to the heap.
        typealias Rows = (
            SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
            SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
            SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>
        )
        var first: Rows = (
            .zero, .zero, .zero, .zero, .zero, .zero, .zero, .zero,
            .zero, .zero, .zero, .zero, .zero, .zero, .zero, .zero
        )
        var second = first
        withUnsafeMutableBytes(of: &first) { firstBytes in
            withUnsafeMutableBytes(of: &second) { secondBytes in
                var current = firstBytes.baseAddress!.assumingMemoryBound(to: SIMD16<Float>.self)
                var next = secondBytes.baseAddress!.assumingMemoryBound(to: SIMD16<Float>.self)
                for r in 0..<16 {
                    current[r] = SIMD16.load(source + r * ld)
                }
                for _ in 0..<4 {
                    for i in 0..<8 {
                        let even = current[2 * i], odd = current[2 * i + 1]
                        next[i] = SIMD16(lowHalf: even.evenHalf, highHalf: odd.evenHalf)
                        next[i + 8] = SIMD16(lowHalf: even.oddHalf, highHalf: odd.oddHalf)
                    }
                    swap(&current, &next)
                }
                for r in 0..<16 {
                    current[r].store(to: target + r * ldTo)
                }
            }
        }
    }
}
