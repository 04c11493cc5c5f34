/// Batch-norm loops over one channel of an NCHW tensor: `batch` planes of `plane` elements,
/// `channelStride` (C*H*W) elements apart. Sums run in Double so that statistics over a large
/// batch keep Float precision.
enum BatchNormKernel {
    /// The mean and the biased variance of the channel's elements (two passes).
    static func statistics(_ x: UnsafePointer<Float>, batch: Int, channelStride: Int, plane: Int)
        -> (mean: Double, variance: Double) {
        var sum = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride
            var s: Float = 0
            for i in 0..<plane { s += p[i] }
            sum += Double(s)
        }
        let mean = sum / Double(batch * plane), m = Float(mean)
        var squares = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride
            var s: Float = 0
            for i in 0..<plane {
                let d = p[i] - m
                s += d * d
            }
            squares += Double(s)
        }
        return (mean, squares / Double(batch * plane))
    }

    /// y = x * scale + shift over the channel.
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channelStride: Int,
                       plane: Int, scale: Float, shift: Float) {
        for n in 0..<batch {
            let p = x + n * channelStride, q = y + n * channelStride
            for i in 0..<plane { q[i] = p[i] * scale + shift }
        }
    }

    /// (sum of dy, sum of dy * (x - mean)) over the channel.
    static func gradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, channelStride: Int,
                             plane: Int, mean: Float) -> (sumDy: Double, sumDyCentered: Double) {
        var sumDy = 0.0, sumDyCentered = 0.0
        for n in 0..<batch {
            let p = x + n * channelStride, g = dy + n * channelStride
            var a: Float = 0, b: Float = 0
            for i in 0..<plane {
                a += g[i]
                b += g[i] * (p[i] - mean)
            }
            sumDy += Double(a)
            sumDyCentered += Double(b)
        }
        return (sumDy, sumDyCentered)
    }

    /// dx = dy * k + (x - mean) * a + b over the channel.
    static func inputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                              batch: Int, channelStride: Int, plane: Int, mean: Float, k: Float, a: Float, b: Float) {
        for n in 0..<batch {
            let p = x + n * channelStride, g = dy + n * channelStride, q = dx + n * channelStride
            for i in 0..<plane { q[i] = g[i] * k + (p[i] - mean) * a + b }
        }
    }
}
