import ConvEngine
import Testing

/// `WinogradConv` in bf16 against exact (Double) convolutions. Winograd rounds the transformed
/// operands, not the convolution's own: output tile Y = A^T [sum over channels of U . V] A with
/// U = G g G^T and V = B^T d B, and each product U[e] V[e] of bf16-rounded operands may be off by
/// (2u + u^2) |U[e]| |V[e]| (u = 2^-8). Taken through the output transform, an output may be off
/// by (2u + u^2) (|A|^T S |A|) with S = sum over channels of |U| . |V|, plus the fp32 arithmetic
/// of the transforms and sums, allowed generously as 2^-23 per operation on the magnitudes every
/// term could reach, |G||g||G|^T and |B|^T|d||B|. The weight gradient is G^T [sum over tiles of
/// dM . V] G with dM = A dy A^T, bounded the same way; the input gradient is the forward pass
/// of the transposed layer.
@Suite(.enabled(if: BF16GEMM.isSupported, "this CPU has no AVX512-BF16"))
struct WinogradBF16Tests {
    static let cases = [
        // Odd channels (half a channel pair) and 24 outputs (a partial 32-channel sliver of dM),
        // two tile rows per vector.
        ConvLayerCase(channels: 17, outChannels: 24, height: 16, width: 16, batch: 3, threads: 2),
        // One tile row per vector, on one thread.
        ConvLayerCase(channels: 32, outChannels: 32, height: 32, width: 32, batch: 2, threads: 1),
        // Four tile rows per vector.
        ConvLayerCase(channels: 48, outChannels: 64, height: 8, width: 8, batch: 5, threads: 2),
        // An odd map: partial tiles at the right and bottom edges.
        ConvLayerCase(channels: 64, outChannels: 80, height: 15, width: 15, batch: 2, threads: 2),
        // Rows of 12 tiles: a transform's 16 lanes run into the next tile row.
        ConvLayerCase(channels: 40, outChannels: 48, height: 24, width: 24, batch: 2, threads: 2),
    ]

    static let unitRoundoff = 0x1p-8
    static let productBound = 2 * unitRoundoff + unitRoundoff * unitRoundoff
    static let fp32Allowance = 0x1p-23

    typealias Matrix = [[Double]]
    static let g: Matrix = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    static let bt: Matrix = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    static let at: Matrix = [[1, 1, 1, 0], [0, 1, -1, -1]]

    static func transposed(_ m: Matrix) -> Matrix {
        (0..<m[0].count).map { j in m.map { $0[j] } }
    }

    static func absolute(_ m: Matrix) -> Matrix { m.map { $0.map(abs) } }

    /// m x m^T.
    static func transform(_ m: Matrix, _ x: Matrix) -> Matrix {
        m.indices.map { i in
            m.indices.map { j in
                var sum = 0.0
                for a in x.indices {
                    for b in x[a].indices { sum += m[i][a] * x[a][b] * m[j][b] }
                }
                return sum
            }
        }
    }

    /// A map of (channels, h, w) values, with zeros outside.
    struct Planes {
        let values: [Double], channels: Int, height: Int, width: Int

        func at(_ c: Int, _ y: Int, _ x: Int) -> Double {
            y < 0 || y >= height || x < 0 || x >= width ? 0 : values[(c * height + y) * width + x]
        }

        /// The size x size patch of channel c from (top, left).
        func patch(_ c: Int, top: Int, left: Int, size: Int) -> Matrix {
            (0..<size).map { r in (0..<size).map { s in at(c, top + r, left + s) } }
        }
    }

    /// The exact "same" 3x3 convolution of one image by weight (oc, c, 3, 3), and each output's
    /// error bound in bf16 Winograd.
    static func convolution(_ image: Planes, weight: [Double], outChannels: Int) -> (exact: [Double], bound: [Double]) {
        let (c, h, w) = (image.channels, image.height, image.width)
        let absG = absolute(g), absBt = absolute(bt), absAt = absolute(at)
        let filters = (0..<(outChannels * c)).map { k in
            let taps = (0..<3).map { r in (0..<3).map { s in weight[k * 9 + r * 3 + s] } }
            return (transform(g, taps), transform(absG, absolute(taps)))
        }
        var exact = [Double](repeating: 0, count: outChannels * h * w), bound = exact
        for ty in 0..<((h + 1) / 2) {
            for tx in 0..<((w + 1) / 2) {
                let patches = (0..<c).map { i in
                    let d = image.patch(i, top: 2 * ty - 1, left: 2 * tx - 1, size: 4)
                    return (transform(bt, d), transform(absBt, absolute(d)))
                }
                for o in 0..<outChannels {
                    var rounding = Matrix(repeating: [Double](repeating: 0, count: 4), count: 4)
                    var reach = rounding
                    for i in 0..<c {
                        let (u, uReach) = filters[o * c + i], (v, vReach) = patches[i]
                        for e in 0..<16 {
                            let (r, s) = e.quotientAndRemainder(dividingBy: 4)
                            rounding[r][s] += abs(u[r][s]) * abs(v[r][s])
                            reach[r][s] += uReach[r][s] * vReach[r][s]
                        }
                    }
                    let roundingOut = transform(absAt, rounding), reachOut = transform(absAt, reach)
                    for a in 0..<2 where 2 * ty + a < h {
                        for b in 0..<2 where 2 * tx + b < w {
                            let (y, x) = (2 * ty + a, 2 * tx + b), index = (o * h + y) * w + x
                            var sum = 0.0
                            for i in 0..<c {
                                for r in 0..<3 {
                                    for s in 0..<3 {
                                        sum += image.at(i, y + r - 1, x + s - 1) * weight[(o * c + i) * 9 + r * 3 + s]
                                    }
                                }
                            }
                            exact[index] = sum
                            bound[index] =
                                productBound * roundingOut[a][b] + fp32Allowance * Double(c + 16) * reachOut[a][b]
                        }
                    }
                }
            }
        }
        return (exact, bound)
    }

    /// The exact weight gradient (oc, c, 3, 3) over the batch, and each element's error bound.
    static func weightGradient(_ inputs: [Planes], _ gradients: [Planes]) -> (exact: [Double], bound: [Double]) {
        let (c, oc, h, w) = (inputs[0].channels, gradients[0].channels, inputs[0].height, inputs[0].width)
        let a = transposed(at), absA = absolute(a), absBt = absolute(bt), absGt = absolute(transposed(g))
        var rounding = [Matrix](repeating: Matrix(repeating: [0, 0, 0, 0], count: 4), count: oc * c)
        var reach = rounding
        var tiles = 0
        for (input, gradient) in zip(inputs, gradients) {
            for ty in 0..<((h + 1) / 2) {
                for tx in 0..<((w + 1) / 2) {
                    tiles += 1
                    let patches = (0..<c).map { i in
                        let d = input.patch(i, top: 2 * ty - 1, left: 2 * tx - 1, size: 4)
                        return (transform(bt, d).map { $0.map(abs) }, transform(absBt, absolute(d)))
                    }
                    for o in 0..<oc {
                        let dy = gradient.patch(o, top: 2 * ty, left: 2 * tx, size: 2)
                        let dm = transform(a, dy).map { $0.map(abs) }, dmReach = transform(absA, absolute(dy))
                        for i in 0..<c {
                            let (v, vReach) = patches[i]
                            for r in 0..<4 {
                                for s in 0..<4 {
                                    rounding[o * c + i][r][s] += dm[r][s] * v[r][s]
                                    reach[o * c + i][r][s] += dmReach[r][s] * vReach[r][s]
                                }
                            }
                        }
                    }
                }
            }
        }
        var exact = [Double](repeating: 0, count: oc * c * 9), bound = exact
        for o in 0..<oc {
            for i in 0..<c {
                let roundingTaps = transform(absGt, rounding[o * c + i]), reachTaps = transform(absGt, reach[o * c + i])
                for r in 0..<3 {
                    for s in 0..<3 {
                        var sum = 0.0
                        for (input, gradient) in zip(inputs, gradients) {
                            for y in 0..<h {
                                for x in 0..<w { sum += gradient.at(o, y, x) * input.at(i, y + r - 1, x + s - 1) }
                            }
                        }
                        let index = (o * c + i) * 9 + r * 3 + s
                        exact[index] = sum
                        bound[index] =
                            productBound * roundingTaps[r][s] + fp32Allowance * Double(tiles + 16) * reachTaps[r][s]
                    }
                }
            }
        }
        return (exact, bound)
    }

    /// The worst error / bound over the elements.
    static func worst(_ got: [Float], _ exact: [Double], _ bound: [Double]) -> Double {
        #expect(got.count == exact.count)
        return got.indices.map { abs(Double(got[$0]) - exact[$0]) / bound[$0] }.max() ?? 0
    }

    @Test(arguments: cases)
    func passesAreWithinTheTransformedBF16Bound(_ kase: ConvLayerCase) {
        let pool = ThreadPool(threads: kase.threads)
        let (c, oc, h, w, n) = (kase.channels, kase.outChannels, kase.height, kase.width, kase.batch)
        var generator = RandomGenerator(seed: 5)
        let conv = Conv2d(c, oc, kernelSize: 3, padding: 1, bias: false, generator: &generator, pool: pool)
        conv.precision = .bf16
        // A CPU with AMX runs these layers as `bf16Direct` unless told.
        conv.forcedAlgorithm = .winograd
        let x = PrecisionTests.randomTensor([n, c, h, w], &generator)
        let dy = PrecisionTests.randomTensor([n, oc, h, w], &generator)
        let y = conv.forward(x, training: true).values
        let dx = conv.backward(dy).values

        func planes(_ t: Tensor, _ channels: Int) -> [Planes] {
            let values = t.values.map(Double.init), size = channels * h * w
            return (0..<n).map {
                Planes(values: Array(values[($0 * size)..<(($0 + 1) * size)]), channels: channels, height: h, width: w)
            }
        }
        let weight = conv.weight.value.values.map(Double.init)
        // The transposed layer's weight (c, oc, 3, 3): channels swapped, taps turned half a circle.
        let flipped = (0..<(c * oc * 9)).map { index in
            let (pair, tap) = index.quotientAndRemainder(dividingBy: 9),
                (i, o) = pair.quotientAndRemainder(dividingBy: oc)
            return weight[(o * c + i) * 9 + 8 - tap]
        }
        let inputs = planes(x, c), gradients = planes(dy, oc)
        var forward = 0.0, input = 0.0
        for image in 0..<n {
            let outputs = Self.convolution(inputs[image], weight: weight, outChannels: oc)
            forward = max(
                forward,
                Self.worst(Array(y[(image * oc * h * w)..<((image + 1) * oc * h * w)]), outputs.exact, outputs.bound))
            let back = Self.convolution(gradients[image], weight: flipped, outChannels: c)
            input = max(
                input, Self.worst(Array(dx[(image * c * h * w)..<((image + 1) * c * h * w)]), back.exact, back.bound))
        }
        let sums = Self.weightGradient(inputs, gradients)
        let weightError = Self.worst(conv.weight.gradient.values, sums.exact, sums.bound)
        #expect(forward <= 1, "forward: worst error / bound \(forward)")
        #expect(input <= 1, "input gradient: worst error / bound \(input)")
        #expect(weightError <= 1, "weight gradient: worst error / bound \(weightError)")
        // Well above the fp32 allowance alone: bf16 ran.
        #expect(forward > 0.01 && input > 0.01 && weightError > 0.01, "\(forward) \(input) \(weightError)")

        // Every output and gradient element has one writer, and the weight gradient's leaves are
        // added in a fixed order: the other thread count gives the same bits.
        var again = RandomGenerator(seed: 5)
        let other = Conv2d(
            c, oc, kernelSize: 3, padding: 1, bias: false, generator: &again,
            pool: ThreadPool(threads: 3 - kase.threads))
        other.precision = .bf16
        other.forcedAlgorithm = .winograd
        #expect(other.forward(x, training: true).values.map(\.bitPattern) == y.map(\.bitPattern))
        #expect(other.backward(dy).values.map(\.bitPattern) == dx.map(\.bitPattern))
        #expect(
            other.weight.gradient.values.map(\.bitPattern) == conv.weight.gradient.values.map(\.bitPattern))
    }

    /// A NaN in the input stays a NaN through the bf16 rounding of the transformed patches, so the
    /// run's NaN guard sees it; the outputs whose tiles do not touch it stay finite.
    @Test func aNaNInTheInputReachesTheOutputsItTouches() {
        let pool = ThreadPool(threads: 2)
        var generator = RandomGenerator(seed: 3)
        let conv = Conv2d(16, 16, kernelSize: 3, padding: 1, bias: false, generator: &generator, pool: pool)
        conv.precision = .bf16
        conv.forcedAlgorithm = .winograd
        let x = PrecisionTests.randomTensor([1, 16, 16, 16], &generator)
        // Channel 3, row 5, column 6: a NaN whose fraction is all ones, which rounding the bits
        // would carry into the sign; channel 9: a signalling NaN whose fraction is below bf16's.
        x[(3 * 16 + 5) * 16 + 6] = Float(bitPattern: 0x7FFF_FFFF)
        x[(9 * 16 + 5) * 16 + 6] = Float(bitPattern: 0x7F80_0001)
        let y = conv.forward(x, training: false).values
        for o in 0..<16 {
            for row in 0..<16 {
                for column in 0..<16 {
                    let value = y[(o * 16 + row) * 16 + column]
                    // Tiles of 2x2 outputs read the 4x4 patch around them: rows 4...7 hold the
                    // NaN's tile rows (2, 3) and columns 4...7 its tile columns. Within them the
                    // outputs the pixel is under a tap of (rows 4...6, columns 5...7) are NaN; the
                    // others may be, through the transforms.
                    let touched = (4...7).contains(row) && (4...7).contains(column)
                    if (4...6).contains(row) && (5...7).contains(column) {
                        #expect(value.isNaN, "output (\(o), \(row), \(column)) is \(value)")
                    } else if !touched {
                        #expect(value.isFinite, "output (\(o), \(row), \(column)) is \(value)")
                    }
                }
            }
        }
    }
}
