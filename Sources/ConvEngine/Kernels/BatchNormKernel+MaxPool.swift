import CPrefetch

extension BatchNormKernel {
    /// One channel of a batch norm whose ReLU output goes straight into a 2x2 max pool with stride
    /// 2 (`BatchNorm2d`'s `maxPool`). The forward pass makes the pooled outputs from the input
    /// directly, and the backward pass finds each window's maximum again from the input, so that
    /// neither the full-size normalised map nor its gradient goes through memory and no indices
    /// are kept. Windows go eight at a time (two input rows of 16 values), so rows need at least 8
    /// of them; a row whose count is not a multiple of 8 ends with a vector overlapping the one
    /// before. `outputStride` is C*OH*OW, the distance between images of the pooled map.
    enum MaxPool {
        typealias Half = SIMD8<Float>
        typealias Mask = Pooling.TapMask

        /// y = max over each window of max(x * scale + shift, 0).
        static func forward(
            _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channelStride: Int,
            outputStride: Int, _ g: ConvGeometry, scale: Float, shift: Float
        ) {
            let normalise = Affine(scale: scale, shift: shift)
            for n in 0..<batch {
                let p = x + n * channelStride, q = y + n * outputStride
                forEachWindowVector(g) { output, input, _ in
                    var best = normalise.windows(p + input, width: g.width).best
                    best.replace(with: 0, where: best .<= 0)
                    best.store(to: q + output)
                }
            }
        }

        /// (sum of dy, sum of dy * (x - mean)) over the channel's planes of `images`, where dy is
        /// the full-size map's gradient: the pooled gradient at each window's maximum where that
        /// maximum is positive, zero elsewhere.
        static func gradientSums(
            _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Range<Int>, channelStride: Int,
            outputStride: Int, _ g: ConvGeometry, mean: Float, scale: Float, shift: Float
        ) -> (sumDy: Double, sumDyCentered: Double) {
            let normalise = Affine(scale: scale, shift: shift)
            let lane = Half(0, 1, 2, 3, 4, 5, 6, 7)
            var sumDy = 0.0, sumDyCentered = 0.0
            for n in images {
                let p = x + n * channelStride, gradient = dy + n * outputStride
                var a = Half(), b = Half()
                forEachWindowVector(g) { output, input, repeated in
                    let windows = normalise.windows(p + input, width: g.width)
                    let top = Vector.load(p + input), bottom = Vector.load(p + input + g.width)
                    var atMaximum = top.evenLanes
                    atMaximum.replace(with: top.oddLanes, where: windows.taps.1)
                    atMaximum.replace(with: bottom.evenLanes, where: windows.taps.2)
                    atMaximum.replace(with: bottom.oddLanes, where: windows.taps.3)
                    var gv = Half.load(gradient + output)
                    gv.replace(with: 0, where: windows.best .<= 0 .| lane .< Float(repeated))
                    a += gv
                    b.addProduct(gv, atMaximum - mean)
                }
                sumDy += Double(a.sum())
                sumDyCentered += Double(b.sum())
            }
            return (sumDy, sumDyCentered)
        }

        /// dx = dy * k + (x - mean) * a + b over the channel, dy the full-size map's gradient as
        /// in `gradientSums`; the same arithmetic, in the same order, as `inputGradient` on that map.
        static func inputGradient(
            _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
            batch: Int, channelStride: Int, outputStride: Int, _ g: ConvGeometry, mean: Float, k: Float,
            a: Float, b: Float, scale: Float, shift: Float
        ) {
            let normalise = Affine(scale: scale, shift: shift)
            let kVector = Vector(repeating: k), aVector = Vector(repeating: a)
            let offset = b - mean * a, offsetVector = Vector(repeating: offset)
            let width = g.width
            let streaming = dx.storesWholeVectors(runs: channelStride, g.inputPlane, width)
            for n in 0..<batch {
                let p = x + n * channelStride, gradient = dy + n * outputStride, q = dx + n * channelStride
                forEachWindowVector(g) { output, input, _ in
                    let windows = normalise.windows(p + input, width: width)
                    var gv = Half.load(gradient + output)
                    gv.replace(with: 0, where: windows.best .<= 0)
                    let taps = windows.taps
                    let row = (p: p + input, q: q + input)
                    gradientRow(
                        gv, taps.0, taps.1, x: row.p, dx: row.q, k: kVector, a: aVector, offset: offsetVector,
                        streaming: streaming)
                    gradientRow(
                        gv, taps.2, taps.3, x: row.p + width, dx: row.q + width, k: kVector, a: aVector,
                        offset: offsetVector, streaming: streaming)
                }
                // The last row and column of a map of odd size belong to no window.
                let covered = (rows: 2 * g.outHeight, columns: 2 * g.outWidth)
                for row in 0..<g.height {
                    for column in (row < covered.rows ? covered.columns : 0)..<width {
                        q[row * width + column] = offset.addingProduct(p[row * width + column], a)
                    }
                }
            }
            if streaming { cstream_fence() }
        }

        /// dx over 16 values of one input row of eight windows: the windows' gradients `dy` go to
        /// the even values where `even` holds and to the odd ones where `odd` holds.
        @inline(__always)
        private static func gradientRow(
            _ dy: Half, _ even: Mask, _ odd: Mask, x: UnsafePointer<Float>,
            dx: UnsafeMutablePointer<Float>, k: Vector, a: Vector, offset: Vector, streaming: Bool
        ) {
            let dyRow = Vector(interleaving: dy.replacing(with: 0, where: .!even), dy.replacing(with: 0, where: .!odd))
            var v = offset
            v.addProduct(dyRow, k)
            v.addProduct(Vector.load(x), a)
            v.store(to: dx, streaming: streaming)
        }

        /// x * scale + shift, as the batch norm normalises.
        private struct Affine {
            let scale: Vector
            let shift: Vector

            init(scale: Float, shift: Float) {
                self.scale = Vector(repeating: scale)
                self.shift = Vector(repeating: shift)
            }

            /// The eight windows from the two rows at `p`: their normalised maxima and where each is.
            @inline(__always)
            func windows(_ p: UnsafePointer<Float>, width: Int) -> (
                best: Half, taps: (Mask, Mask, Mask, Mask)
            ) {
                var top = shift, bottom = shift
                top.addProduct(Vector.load(p), scale)
                bottom.addProduct(Vector.load(p + width), scale)
                return Pooling.windowMaxima(top, bottom)
            }
        }

        /// `body(output, input, repeated)` for each vector of eight windows of a plane: the index of
        /// its first window and of that window's first input value, and how many of its first
        /// lanes the vector before it in the row had already covered.
        @inline(__always)
        private static func forEachWindowVector(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void) {
            let outWidth = g.outWidth
            for row in 0..<g.outHeight {
                var column = 0
                while column < outWidth {
                    let start = min(column, outWidth - 8)
                    body(row * outWidth + start, 2 * (row * g.width + start), column - start)
                    column = start + 8
                }
            }
        }
    }
}
