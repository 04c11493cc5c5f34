/// Batch-norm loops over one channel of an NCHW tensor: `batch` planes of `plane` elements,
/// `channelStride` (C*H*W) elements apart. Sums run in 16 Float lanes within a plane and in Double
/// across planes, so that statistics over a large batch keep Float precision; the lanes also break
/// the chain of dependent additions that kept a scalar sum at one element per add latency.
enum BatchNormKernel {
    typealias Vector = SIMD16<Float>

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    private static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// The mean and the biased variance of the channel's elements (two passes).
    static func statistics(_ x: UnsafePointer<Float>, batch: Int, channelStride: Int, plane: Int)
        -> (mean: Double, variance: Double) {
        let vectorEnd = plane & ~15
        var sum = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride
            var s = Vector()
            for i in stride(from: 0, to: vectorEnd, by: 16) { s += load(p + i) }
            var tail: Float = 0
            for i in vectorEnd..<plane { tail += p[i] }
            sum += Double(s.sum() + tail)
        }
        let mean = sum / Double(batch * plane), m = Float(mean)
        var squares = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride
            var s = Vector()
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                let d = load(p + i) - m
                s.addProduct(d, d)
            }
            var tail: Float = 0
            for i in vectorEnd..<plane {
                let d = p[i] - m
                tail += d * d
            }
            squares += Double(s.sum() + tail)
        }
        return (mean, squares / Double(batch * plane))
    }

    /// y = x * scale + shift over the channel.
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channelStride: Int,
                       plane: Int, scale: Float, shift: Float) {
        let vectorEnd = plane & ~15
        let scaleVector = Vector(repeating: scale), shiftVector = Vector(repeating: shift)
        for n in 0..<batch {
            let p = x + n * channelStride, q = y + n * channelStride
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                var v = shiftVector
                v.addProduct(load(p + i), scaleVector)
                store(v, q + i)
            }
            for i in vectorEnd..<plane { q[i] = p[i] * scale + shift }
        }
    }

    /// (sum of dy, sum of dy * (x - mean)) over the channel.
    static func gradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, channelStride: Int,
                             plane: Int, mean: Float) -> (sumDy: Double, sumDyCentered: Double) {
        let vectorEnd = plane & ~15
        var sumDy = 0.0, sumDyCentered = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride, g = dy + n * channelStride
            var a = Vector(), b = Vector()
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                let gv = load(g + i)
                a += gv
                b.addProduct(gv, load(p + i) - mean)
            }
            var aTail: Float = 0, bTail: Float = 0
            for i in vectorEnd..<plane {
                aTail += g[i]
                bTail += g[i] * (p[i] - mean)
            }
            sumDy += Double(a.sum() + aTail)
            sumDyCentered += Double(b.sum() + bTail)
        }
        return (sumDy, sumDyCentered)
    }

    /// dx = dy * k + (x - mean) * a + b over the channel.
    static func inputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                              batch: Int, channelStride: Int, plane: Int, mean: Float, k: Float, a: Float, b: Float) {
        let vectorEnd = plane & ~15
        // dy * k + x * a + (b - mean * a): one multiply and two FMAs per vector.
        let kVector = Vector(repeating: k), aVector = Vector(repeating: a), offset = Vector(repeating: b - mean * a)
        for n in 0..<batch {
            let p = x + n * channelStride, g = dy + n * channelStride, q = dx + n * channelStride
            for i in stride(from: 0, to: vectorEnd, by: 16) {
                var v = offset
                v.addProduct(load(g + i), kVector)
                v.addProduct(load(p + i), aVector)
                store(v, q + i)
            }
            for i in vectorEnd..<plane { q[i] = g[i] * k + (p[i] - mean) * a + b }
        }
    }
}
