/// im2col for stride-1 convolutions with "same" padding (2 * padding = kernel - 1), a whole plane
/// at a time.
///
/// Output and input planes have the same size, so a tap's row of the columns matrix is the input
/// plane shifted by one fixed offset, with the positions whose tap falls into the padding set to
/// zero. Unfold and fold move 16-float vectors through bit masks computed once per image size;
/// copying and zeroing line by line cost more in calls than in bytes on 7x7 and 14x14 maps.
/// A plane whose size is not a multiple of 16 ends with a vector overlapping its predecessor,
/// which writes the same values again.
///
/// columns (C*K*K, H*W) has its rows `rowStride` floats apart, so that several images can be
/// unfolded side by side.
final class SamePaddedTaps {
    static let lanes = 16

    let geometry: ConvGeometry
    /// Per tap: the input position read for output position 0 (and every other, shifted).
    private let offsets: [Int]
    /// (taps, plane): all ones where the output position's tap reads inside the image.
    private let readMasks: [UInt32]
    /// (taps, plane): all ones where the input position is read by that tap of some output.
    private let writeMasks: [UInt32]
    /// The first position of each vector covering the plane.
    private let starts: [Int]
    /// Floats per vector: 16, or the whole plane when it is smaller.
    private let width: Int
    /// Positions per sliver of `unfoldSliver`: the micro-kernel's tile width.
    static let sliverWidth = MicroKernel.columns
    /// The distinct 16-lane read masks of the slivers' halves (all ones where the lane's tap
    /// reads inside the image and its position is in the plane), 16 floats each: few patterns
    /// repeat over the plane, so the table stays in L1 where per-position masks did not.
    private let maskPatterns: [UInt32]
    /// (slivers, taps, 2 halves): the index of each half's mask in `maskPatterns`.
    private let maskIndices: [UInt16]
    /// The indices of the all-ones and all-zero patterns, which need no mask.
    private static var allInside: UInt16 { 0 }
    private static var allOutside: UInt16 { 1 }

    init(_ g: ConvGeometry) {
        precondition(g.isSamePadded, "SamePaddedTaps needs stride 1 and same padding, got \(g)")
        geometry = g
        let (h, w, k, p) = (g.height, g.width, g.kernel, g.padding)
        var offsets = [Int](), reads = [UInt32](), writes = [UInt32]()
        for ky in 0..<k {
            for kx in 0..<k {
                offsets.append((ky - p) * w + (kx - p))
                for y in 0..<h {
                    for x in 0..<w {
                        let inside = (0..<h).contains(y + ky - p) && (0..<w).contains(x + kx - p)
                        reads.append(inside ? .max : 0)
                        let readBy = (0..<h).contains(y - ky + p) && (0..<w).contains(x - kx + p)
                        writes.append(readBy ? .max : 0)
                    }
                }
            }
        }
        self.offsets = offsets
        readMasks = reads
        writeMasks = writes
        let plane = g.inputPlane
        width = min(Self.lanes, plane)
        starts = Array(stride(from: 0, to: plane - width, by: width)) + [plane - width]
        let slivers = (plane + Self.sliverWidth - 1) / Self.sliverWidth
        var patterns: [[UInt32]] = [Array(repeating: .max, count: Self.lanes), Array(repeating: 0, count: Self.lanes)]
        var indexOf = [patterns[0]: Self.allInside, patterns[1]: Self.allOutside]
        var indices = [UInt16]()
        for s in 0..<slivers {
            for t in 0..<offsets.count {
                for half in 0..<(Self.sliverWidth / Self.lanes) {
                    let pattern = (0..<Self.lanes).map { l -> UInt32 in
                        let q = s * Self.sliverWidth + half * Self.lanes + l
                        return q < plane ? reads[t * plane + q] : 0
                    }
                    if indexOf[pattern] == nil {
                        indexOf[pattern] = UInt16(patterns.count)
                        patterns.append(pattern)
                    }
                    indices.append(indexOf[pattern]!)
                }
            }
        }
        maskPatterns = patterns.flatMap { $0 }
        maskIndices = indices
    }

    /// image (C, H, W) -> columns (C*K*K, H*W), overwritten.
    func unfold(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, rowStride: Int) {
        let plane = geometry.inputPlane, size = geometry.channels * plane, taps = offsets.count
        readMasks.withUnsafeBufferPointer { masks in
            for c in 0..<geometry.channels {
                for t in 0..<taps {
                    // Image index read by output position 0; position q reads source + q.
                    let source = c * plane + offsets[t]
                    let row = columns + (c * taps + t) * rowStride
                    let mask = masks.baseAddress! + t * plane
                    for q0 in starts {
                        let first = source + q0
                        if width == Self.lanes && first >= 0 && first + Self.lanes <= size {
                            Self.masked(SIMD16.load(image + first), SIMD16.load(mask + q0)).store(to: row + q0)
                        } else {
                            for q in q0..<(q0 + width) { row[q] = mask[q] != 0 ? image[source + q] : 0 }
                        }
                    }
                }
            }
        }
    }

    /// Rows `rows` of the columns matrix at the 32 positions of sliver `s` (positions 32s on), as
    /// one packed B sliver of the GEMM micro-kernel (row-major, `rows.count` x 32), zero past the
    /// end of the plane.
    func unfoldSliver(
        _ image: UnsafePointer<Float>, rows: Range<Int>, sliver s: Int,
        into sliver: UnsafeMutablePointer<Float>
    ) {
        let plane = geometry.inputPlane, size = geometry.channels * plane, taps = offsets.count
        let first = s * Self.sliverWidth
        maskPatterns.withUnsafeBufferPointer { patterns in
            maskIndices.withUnsafeBufferPointer { maskIndices in
                offsets.withUnsafeBufferPointer { offsets in
                    let halves = Self.sliverWidth / Self.lanes
                    var (c, t) = rows.lowerBound.quotientAndRemainder(dividingBy: taps)
                    var row = sliver
                    for _ in rows {
                        let start = c * plane + offsets[t] + first
                        let indices = maskIndices.baseAddress! + (s * taps + t) * halves
                        for h in 0..<halves {
                            let at = start + h * Self.lanes, out = row + h * Self.lanes, index = indices[h]
                            if index == Self.allOutside {
                                SIMD16<Float>().store(to: out)
                            } else if index == Self.allInside {
                                SIMD16.load(image + at).store(to: out)
                            } else if at >= 0 && at + Self.lanes <= size {
                                let mask = SIMD16.load(patterns.baseAddress! + Int(index) * Self.lanes)
                                Self.masked(SIMD16.load(image + at), mask).store(to: out)
                            } else {
                                let mask = patterns.baseAddress! + Int(index) * Self.lanes
                                for l in 0..<Self.lanes { out[l] = mask[l] != 0 ? image[at + l] : 0 }
                            }
                        }
                        row += Self.sliverWidth
                        t += 1
                        if t == taps { (c, t) = (c + 1, 0) }
                    }
                }
            }
        }
    }

    /// The adjoint of `unfold`: the image gradient (C, H, W), overwritten, gets every entry of
    /// columns (C*K*K, H*W) at the position it was read from.
    func fold(_ columns: UnsafePointer<Float>, rowStride: Int, into image: UnsafeMutablePointer<Float>) {
        let plane = geometry.inputPlane, taps = offsets.count
        let end = (geometry.channels * taps - 1) * rowStride + plane
        writeMasks.withUnsafeBufferPointer { masks in
            for c in 0..<geometry.channels {
                for q0 in starts {
                    var sum = SIMD16<Float>()
                    for t in 0..<taps {
                        // The columns entry input position q0 + l received from this tap.
                        let at = (c * taps + t) * rowStride + q0 - offsets[t]
                        let mask = masks.baseAddress! + t * plane + q0
                        if width == Self.lanes && at >= 0 && at + Self.lanes <= end {
                            sum += Self.masked(SIMD16.load(columns + at), SIMD16.load(mask))
                        } else {
                            for l in 0..<width where mask[l] != 0 { sum[l] += columns[at + l] }
                        }
                    }
                    let out = image + c * plane + q0
                    if width == Self.lanes {
                        sum.store(to: out)
                    } else {
                        for l in 0..<width { out[l] = sum[l] }
                    }
                }
            }
        }
    }

    /// `v` with the lanes outside `mask` set to +0, by bits: a NaN read next to the image stays out.
    @inline(__always)
    private static func masked(_ v: SIMD16<Float>, _ mask: SIMD16<UInt32>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & mask, to: SIMD16<Float>.self)
    }
}
