import CPrefetch

/// Batch-norm loops over one channel of an NCHW tensor: `batch` planes (or the planes of
/// `images`) of `plane` elements, `channelStride` (C*H*W) elements apart. Sums run in 16 Float
/// lanes within a plane and in Double across planes, so that statistics over a large batch keep
/// Float precision; the lanes also break the chain of dependent additions that kept a scalar sum
/// at one element per add latency. Sums over images take a leaf of the batch at a time, in order,
/// for `BatchSummation` to add up.
enum BatchNormKernel {
    typealias Vector = SIMD16<Float>

    /// A ReLU after the normalisation: gradients pass where `x * scale + shift` is positive,
    /// computed exactly as the forward pass computed the ReLU's input.
    struct ReLUMask {
        var scale: Float
        var shift: Float

        /// Lets every gradient through (0 * x + 1 > 0), for a batch norm without ReLU; one
        /// branch-free loop serves both cases.
        static let passAll = ReLUMask(scale: 0, shift: 1)

        @inline(__always)
        func apply(_ dy: Vector, _ x: Vector) -> Vector {
            var preActivation = Vector(repeating: shift)
            preActivation.addProduct(x, Vector(repeating: scale))
            return dy.replacing(with: 0, where: preActivation .<= 0)
        }

        @inline(__always)
        func apply(_ dy: Float, _ x: Float) -> Float {
            shift.addingProduct(x, scale) <= 0 ? 0 : dy
        }
    }

    /// The sum over `images` of the channel's elements minus `center` (squared with `squares`).
    static func sum(
        _ x: UnsafePointer<Float>, images: Range<Int>, channelStride: Int, plane: Int, center: Float, squares: Bool
    ) -> Double {
        let vectorEnd = plane & ~15
        var sum = 0.0
        for n in images {
            let p = x + n * channelStride
            var s = Vector()
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                let d = Vector.load(p + i) - center
                if squares { s.addProduct(d, d) } else { s += d }
            }
            var tail: Float = 0
            for i in vectorEnd..<plane {
                let d = p[i] - center
                tail += squares ? d * d : d
            }
            sum += Double(s.sum() + tail)
        }
        return sum
    }

    /// y = x * scale + shift over the channel, then max(y, 0) with `relu`.
    static func affine(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channelStride: Int,
        plane: Int, scale: Float, shift: Float, relu: Bool
    ) {
        let vectorEnd = plane & ~15
        let scaleVector = Vector(repeating: scale), shiftVector = Vector(repeating: shift)
        let streaming = y.storesWholeVectors(runs: channelStride, plane)
        for n in 0..<batch {
            let p = x + n * channelStride, q = y + n * channelStride
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                var v = shiftVector
                v.addProduct(Vector.load(p + i), scaleVector)
                if relu { v.replace(with: 0, where: v .<= 0) }
                v.store(to: q + i, streaming: streaming)
            }
            for i in vectorEnd..<plane {
                let v = shift.addingProduct(p[i], scale)
                q[i] = relu && v <= 0 ? 0 : v
            }
        }
        if streaming { cstream_fence() }
    }

    /// (sum of dy, sum of dy * (x - mean)) over the channel's planes of `images`, dy masked by `mask`.
    static func gradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Range<Int>, channelStride: Int,
        plane: Int, mean: Float, mask: ReLUMask
    ) -> (sumDy: Double, sumDyCentered: Double) {
        let vectorEnd = plane & ~15
        var sumDy = 0.0, sumDyCentered = 0.0
        for n in images {
            let p = x + n * channelStride, g = dy + n * channelStride
            var a = Vector(), b = Vector()
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                let xv = Vector.load(p + i)
                let gv = mask.apply(Vector.load(g + i), xv)
                a += gv
                b.addProduct(gv, xv - mean)
            }
            var aTail: Float = 0, bTail: Float = 0
            for i in vectorEnd..<plane {
                let gi = mask.apply(g[i], p[i])
                aTail += gi
                bTail += gi * (p[i] - mean)
            }
            sumDy += Double(a.sum() + aTail)
            sumDyCentered += Double(b.sum() + bTail)
        }
        return (sumDy, sumDyCentered)
    }

    /// dx = dy * k + (x - mean) * a + b over the channel, dy masked by `mask`.
    static func inputGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
        batch: Int, channelStride: Int, plane: Int, mean: Float, k: Float, a: Float, b: Float,
        mask: ReLUMask
    ) {
        let vectorEnd = plane & ~15
        // dy * k + x * a + (b - mean * a): one multiply and two FMAs per vector.
        let kVector = Vector(repeating: k), aVector = Vector(repeating: a), offset = Vector(repeating: b - mean * a)
        let streaming = dx.storesWholeVectors(runs: channelStride, plane)
        for n in 0..<batch {
            let p = x + n * channelStride, g = dy + n * channelStride, q = dx + n * channelStride
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                let xv = Vector.load(p + i)
                var v = offset
                v.addProduct(mask.apply(Vector.load(g + i), xv), kVector)
                v.addProduct(xv, aVector)
                v.store(to: q + i, streaming: streaming)
            }
            for i in vectorEnd..<plane { q[i] = mask.apply(g[i], p[i]) * k + (p[i] - mean) * a + b }
        }
        if streaming { cstream_fence() }
    }
}
