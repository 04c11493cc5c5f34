import ConvEngine
import Testing

/// Winograd's minimal filtering F(m x m, 3x3) as exact (Double) matrices, for checking the
/// engine's Winograd kernels against exact convolutions with error bounds derived from the
/// transforms: output tile Y = A^T [sum over channels of U . V] A with U = G g G^T and
/// V = B^T d B.
struct WinogradScheme {
    typealias Matrix = [[Double]]

    let g: Matrix, bt: Matrix, at: Matrix

    /// F(2x2, 3x3) (`WinogradConv`).
    static let f2 = WinogradScheme(
        g: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
        bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        at: [[1, 1, 1, 0], [0, 1, -1, -1]])

    /// F(4x4, 3x3) (`WinogradF4Conv`), Lavin and Gray's matrices.
    static let f4 = WinogradScheme(
        g: [
            [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
        ],
        bt: [
            [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1],
        ],
        at: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])

    /// Outputs per tile side, and input values per patch side.
    var outputs: Int { at.count }
    var patch: Int { bt.count }

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

        /// Each image of an (N, C, H, W) tensor.
        static func images(of tensor: Tensor) -> [Planes] {
            let (n, c, h, w) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
            let values = tensor.values.map(Double.init), size = c * h * w
            return (0..<n).map {
                Planes(values: Array(values[($0 * size)..<(($0 + 1) * size)]), channels: c, height: h, width: w)
            }
        }

        /// The size x size patch of channel c from (top, left).
        func patch(_ c: Int, top: Int, left: Int, size: Int) -> Matrix {
            (0..<size).map { r in (0..<size).map { s in at(c, top + r, left + s) } }
        }
    }

    /// The exact "same" 3x3 convolution of one image by weight (oc, c, 3, 3), and each output's
    /// error bound: `productBound` times |U[e]| |V[e]| for each element's product (the rounding of
    /// its operands), taken through the output transform, plus the fp32 arithmetic of the transforms
    /// and sums, allowed generously as 2^-23 per operation (C plus the patch's elements) on the
    /// magnitudes every term could reach, |G||g||G|^T and |B|^T|d||B|.
    func convolution(
        _ image: Planes, weight: [Double], outChannels: Int, productBound: Double
    ) -> (exact: [Double], bound: [Double]) {
        let (c, h, w) = (image.channels, image.height, image.width), (m, size) = (outputs, patch)
        let absG = Self.absolute(g), absBt = Self.absolute(bt), absAt = Self.absolute(at)
        let operations = Double(c + size * size), fp32Allowance = 0x1p-23
        let filters = (0..<(outChannels * c)).map { k in
            let taps = (0..<3).map { r in (0..<3).map { s in weight[k * 9 + r * 3 + s] } }
            return (Self.transform(g, taps), Self.transform(absG, Self.absolute(taps)))
        }
        var exact = [Double](repeating: 0, count: outChannels * h * w), bound = exact
        for ty in 0..<((h + m - 1) / m) {
            for tx in 0..<((w + m - 1) / m) {
                let patches = (0..<c).map { i in
                    let d = image.patch(i, top: m * ty - 1, left: m * tx - 1, size: size)
                    return (Self.transform(bt, d), Self.transform(absBt, Self.absolute(d)))
                }
                for o in 0..<outChannels {
                    var rounding = Matrix(repeating: [Double](repeating: 0, count: size), count: size)
                    var reach = rounding
                    for i in 0..<c {
                        let (u, uReach) = filters[o * c + i], (v, vReach) = patches[i]
                        for r in 0..<size {
                            for s in 0..<size {
                                rounding[r][s] += abs(u[r][s]) * abs(v[r][s])
                                reach[r][s] += uReach[r][s] * vReach[r][s]
                            }
                        }
                    }
                    let roundingOut = Self.transform(absAt, rounding), reachOut = Self.transform(absAt, reach)
                    for a in 0..<m where m * ty + a < h {
                        for b in 0..<m where m * tx + b < w {
                            let (y, x) = (m * ty + a, m * tx + b), index = (o * h + y) * w + x
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
                                productBound * roundingOut[a][b] + fp32Allowance * operations * reachOut[a][b]
                        }
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

    /// The worst error / bound of a layer's outputs `y` for input x (N, C, H, W) and of its input
    /// gradient `dx` for output gradient dy (N, OC, H, W), given its weight (OC, C, 3, 3): the input
    /// gradient is the convolution of dy by the transposed layer's weight (C, OC, 3, 3), channels
    /// swapped and taps turned half a circle.
    func worstRatios(
        x: Tensor, dy: Tensor, y: [Float], dx: [Float], weight: [Double], productBound: Double
    ) -> (forward: Double, input: Double) {
        let (n, c, oc) = (x.shape[0], x.shape[1], dy.shape[1]), plane = x.shape[2] * x.shape[3]
        let flipped = (0..<(c * oc * 9)).map { index in
            let (pair, tap) = index.quotientAndRemainder(dividingBy: 9),
                (i, o) = pair.quotientAndRemainder(dividingBy: oc)
            return weight[(o * c + i) * 9 + 8 - tap]
        }
        let inputs = Planes.images(of: x), gradients = Planes.images(of: dy)
        var forward = 0.0, input = 0.0
        for image in 0..<n {
            let outputs = convolution(inputs[image], weight: weight, outChannels: oc, productBound: productBound)
            forward = max(
                forward,
                Self.worst(Array(y[(image * oc * plane)..<((image + 1) * oc * plane)]), outputs.exact, outputs.bound))
            let back = convolution(gradients[image], weight: flipped, outChannels: c, productBound: productBound)
            input = max(
                input, Self.worst(Array(dx[(image * c * plane)..<((image + 1) * c * plane)]), back.exact, back.bound))
        }
        return (forward, input)
    }

    /// The exact weight gradient (oc, c, 3, 3) over the batch of inputs and output gradients, and
    /// each element's error bound: G^T [sum over tiles of dM . V] G with dM = A dy A^T, bounded as
    /// `convolution` bounds an output, with one operation per tile in the sums.
    func weightGradient(
        _ inputs: [Planes], _ gradients: [Planes], productBound: Double
    ) -> (exact: [Double], bound: [Double]) {
        let (c, oc, h, w) = (inputs[0].channels, gradients[0].channels, inputs[0].height, inputs[0].width)
        let (m, size) = (outputs, patch)
        let a = Self.transposed(at), absA = Self.absolute(a)
        let absBt = Self.absolute(bt), absGt = Self.absolute(Self.transposed(g))
        let zero = Matrix(repeating: [Double](repeating: 0, count: size), count: size)
        var rounding = [Matrix](repeating: zero, count: oc * c), reach = rounding
        var tiles = 0
        for (input, gradient) in zip(inputs, gradients) {
            for ty in 0..<((h + m - 1) / m) {
                for tx in 0..<((w + m - 1) / m) {
                    tiles += 1
                    let patches = (0..<c).map { i in
                        let d = input.patch(i, top: m * ty - 1, left: m * tx - 1, size: size)
                        return (Self.absolute(Self.transform(bt, d)), Self.transform(absBt, Self.absolute(d)))
                    }
                    for o in 0..<oc {
                        let dy = gradient.patch(o, top: m * ty, left: m * tx, size: m)
                        let dm = Self.absolute(Self.transform(a, dy)), dmReach = Self.transform(absA, Self.absolute(dy))
                        for i in 0..<c {
                            let (v, vReach) = patches[i]
                            for r in 0..<size {
                                for s in 0..<size {
                                    rounding[o * c + i][r][s] += dm[r][s] * v[r][s]
                                    reach[o * c + i][r][s] += dmReach[r][s] * vReach[r][s]
                                }
                            }
                        }
                    }
                }
            }
        }
        let operations = Double(tiles + size * size), fp32Allowance = 0x1p-23
        var exact = [Double](repeating: 0, count: oc * c * 9), bound = exact
        for o in 0..<oc {
            for i in 0..<c {
                let roundingTaps = Self.transform(absGt, rounding[o * c + i])
                let reachTaps = Self.transform(absGt, reach[o * c + i])
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
                        bound[index] = productBound * roundingTaps[r][s] + fp32Allowance * operations * reachTaps[r][s]
                    }
                }
            }
        }
        return (exact, bound)
    }
}
