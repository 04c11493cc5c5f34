import CPrefetch

extension BatchNormKernel {
    /// Batch-norm loops over whole images of an NCHW tensor, for small planes: each image's `count`
    /// (C*H*W) elements are contiguous, and the per-channel numbers come expanded to one value per
    /// position (a channel's value repeated over its plane), so every loop is a plain vector sweep
    /// however short the planes are. Sums over the images of a leaf of the batch go into per-position
    /// Float partials, which the caller reduces per channel in Double (`planeSum`) and then over the
    /// leaves in `BatchSummation`'s order.
    enum Images {
        /// The ReLU after the normalisation as per-position scale and shift: a gradient passes where
        /// `x * scale + shift` is positive. A batch norm without ReLU passes scale 0 and shift 1.
        struct Mask {
            var scale: UnsafePointer<Float>
            var shift: UnsafePointer<Float>

            @inline(__always)
            func apply(_ dy: Vector, _ x: Vector, at j: Int) -> Vector {
                var preActivation = Vector.load(shift + j)
                preActivation.addProduct(x, Vector.load(scale + j))
                return dy.replacing(with: 0, where: preActivation .<= 0)
            }

            @inline(__always)
            func apply(_ dy: Float, _ x: Float, at j: Int) -> Float {
                shift[j].addingProduct(x, scale[j]) <= 0 ? 0 : dy
            }
        }

        /// sums[j] = the sum over `images` of x[n, j] - center[j] (squared with `squares`), overwritten.
        static func sums(
            _ x: UnsafePointer<Float>, images: Range<Int>, count: Int, center: UnsafePointer<Float>,
            squares: Bool, into sums: UnsafeMutablePointer<Float>
        ) {
            let vectorEnd = count & ~15
            sums.update(repeating: 0, count: count)
            for n in images {
                let p = x + n * count
                for j in stride(from: 0, to: vectorEnd, by: 16) {
                    let d = Vector.load(p + j) - Vector.load(center + j)
                    var s = Vector.load(sums + j)
                    if squares { s.addProduct(d, d) } else { s += d }
                    s.store(to: sums + j)
                }
                for j in vectorEnd..<count {
                    let d = p[j] - center[j]
                    sums[j] += squares ? d * d : d
                }
            }
        }

        /// y[n, j] = x[n, j] * scale[j] + shift[j], then max(y, 0) with `relu`, over `images`.
        static func affine(
            _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, images: Range<Int>, count: Int,
            scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool
        ) {
            let vectorEnd = count & ~15, streaming = y.storesWholeVectors(runs: count)
            for n in images {
                let p = x + n * count, q = y + n * count
                for j in stride(from: 0, to: vectorEnd, by: 16) {
                    var v = Vector.load(shift + j)
                    v.addProduct(Vector.load(p + j), Vector.load(scale + j))
                    if relu { v.replace(with: 0, where: v .<= 0) }
                    v.store(to: q + j, streaming: streaming)
                }
                for j in vectorEnd..<count {
                    let v = shift[j].addingProduct(p[j], scale[j])
                    q[j] = relu && v <= 0 ? 0 : v
                }
            }
            if streaming { cstream_fence() }
        }

        /// sumDy[j] = the sum over `images` of the masked dy, sumDyCentered[j] of it times
        /// x - mean[j]; both overwritten.
        static func gradientSums(
            _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Range<Int>, count: Int,
            mean: UnsafePointer<Float>, mask: Mask, sumDy: UnsafeMutablePointer<Float>,
            sumDyCentered: UnsafeMutablePointer<Float>
        ) {
            let vectorEnd = count & ~15
            sumDy.update(repeating: 0, count: count)
            sumDyCentered.update(repeating: 0, count: count)
            for n in images {
                let p = x + n * count, g = dy + n * count
                for j in stride(from: 0, to: vectorEnd, by: 16) {
                    let xv = Vector.load(p + j)
                    let gv = mask.apply(Vector.load(g + j), xv, at: j)
                    (Vector.load(sumDy + j) + gv).store(to: sumDy + j)
                    var b = Vector.load(sumDyCentered + j)
                    b.addProduct(gv, xv - Vector.load(mean + j))
                    b.store(to: sumDyCentered + j)
                }
                for j in vectorEnd..<count {
                    let gj = mask.apply(g[j], p[j], at: j)
                    sumDy[j] += gj
                    sumDyCentered[j] += gj * (p[j] - mean[j])
                }
            }
        }

        /// dx[n, j] = masked dy * k[j] + x * a[j] + offset[j] over `images`.
        static func inputGradient(
            _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
            _ dx: UnsafeMutablePointer<Float>, images: Range<Int>, count: Int,
            k: UnsafePointer<Float>, a: UnsafePointer<Float>, offset: UnsafePointer<Float>,
            mask: Mask
        ) {
            let vectorEnd = count & ~15, streaming = dx.storesWholeVectors(runs: count)
            for n in images {
                let p = x + n * count, g = dy + n * count, q = dx + n * count
                for j in stride(from: 0, to: vectorEnd, by: 16) {
                    let xv = Vector.load(p + j)
                    var v = Vector.load(offset + j)
                    v.addProduct(mask.apply(Vector.load(g + j), xv, at: j), Vector.load(k + j))
                    v.addProduct(xv, Vector.load(a + j))
                    v.store(to: q + j, streaming: streaming)
                }
                for j in vectorEnd..<count { q[j] = mask.apply(g[j], p[j], at: j) * k[j] + p[j] * a[j] + offset[j] }
            }
            if streaming { cstream_fence() }
        }

        /// expanded[c * plane + i] = values(c) for every channel c and position i of its plane.
        static func expand(
            channels: Int, plane: Int, into expanded: UnsafeMutablePointer<Float>,
            _ values: (Int) -> Float
        ) {
            for c in 0..<channels { (expanded + c * plane).update(repeating: values(c), count: plane) }
        }

        /// The sum of partial[c * plane + i] over channel c's plane, in Double.
        static func planeSum(_ partial: UnsafePointer<Float>, channel c: Int, plane: Int) -> Double {
            let p = partial + c * plane
            var sum = 0.0
            for i in 0..<plane { sum += Double(p[i]) }
            return sum
        }
    }
}
