import ConvEngine
import Testing

/// Narrow first layers, the implicit GEMM's forward pass (streamed when the layer has no bias) and
/// `NarrowWeightGradient`'s weight gradient, against exact (Double) sums. Each weight's gradient
/// adds n * H * W products in Float, 16 lanes apart over a leaf of 16 images and then leaf by
/// leaf: with unit round-off u = 2^-24, the error stays under (H * W / 16 * 16 + leaves) * u of
/// the sum of the products' magnitudes, far below what a wrong tap, channel or border would leave.
@Suite struct NarrowWeightGradientTests {
    static let cases = [
        // convnet5's first layer on CIFAR-sized maps, two leaves.
        ConvLayerCase(channels: 3, outChannels: 32, height: 32, width: 32, batch: 20, threads: 2),
        // A grey first layer whose output channels end in a partial block of 4, on a wide map.
        ConvLayerCase(channels: 1, outChannels: 6, height: 5, width: 48, batch: 3, threads: 1),
        // Four channels (RGBA), 16 columns: every row one vector.
        ConvLayerCase(channels: 4, outChannels: 9, height: 16, width: 16, batch: 17, threads: 2),
    ]

    @Test(arguments: cases)
    func passesMatchTheExactSums(_ kase: ConvLayerCase) {
        let (c, oc, h, w, n) = (kase.channels, kase.outChannels, kase.height, kase.width, kase.batch)
        // convnet5's first layer has no bias, as in the presets.
        let hasBias = c != 3
        func layer(threads: Int) -> Conv2d {
            var generator = RandomGenerator(seed: 5)
            let conv = Conv2d(
                c, oc, kernelSize: 3, padding: 1, bias: hasBias, generator: &generator,
                pool: ThreadPool(threads: threads))
            conv.forcedAlgorithm = .implicitGEMM
            return conv
        }
        let conv = layer(threads: kase.threads)
        var generator = RandomGenerator(seed: 8)
        let x = PrecisionTests.randomTensor([n, c, h, w], &generator)
        let dy = PrecisionTests.randomTensor([n, oc, h, w], &generator)
        let y = conv.forward(x, training: true).values
        let dx = conv.backward(dy).values
        let (xs, dys) = (x.values, dy.values)
        func input(_ image: Int, _ i: Int, _ y: Int, _ col: Int) -> Double {
            y < 0 || y >= h || col < 0 || col >= w ? 0 : Double(xs[((image * c + i) * h + y) * w + col])
        }
        func gradient(_ image: Int, _ o: Int, _ y: Int, _ col: Int) -> Double {
            y < 0 || y >= h || col < 0 || col >= w ? 0 : Double(dys[((image * oc + o) * h + y) * w + col])
        }
        let allowance = Double(h * w + 16) * 0x1p-24
        let weight = conv.weight.value.values, bias = conv.bias?.value.values
        for image in 0..<n {
            for o in 0..<oc {
                for row in 0..<h {
                    for col in 0..<w {
                        var exact = Double(bias?[o] ?? 0), magnitude = abs(exact)
                        for i in 0..<c {
                            for tap in 0..<9 {
                                let (ky, kx) = tap.quotientAndRemainder(dividingBy: 3)
                                let product =
                                    input(image, i, row + ky - 1, col + kx - 1) * Double(weight[(o * c + i) * 9 + tap])
                                exact += product
                                magnitude += abs(product)
                            }
                        }
                        let got = Double(y[((image * oc + o) * h + row) * w + col])
                        #expect(abs(got - exact) <= Double(c * 9 + 1) * 0x1p-24 * magnitude + 1e-30)
                    }
                }
            }
        }
        let weightGradient = conv.weight.gradient.values
        for o in 0..<oc {
            for i in 0..<c {
                for tap in 0..<9 {
                    let (ky, kx) = tap.quotientAndRemainder(dividingBy: 3)
                    var exact = 0.0, magnitude = 0.0
                    for image in 0..<n {
                        for y in 0..<h {
                            for col in 0..<w {
                                let product = gradient(image, o, y, col) * input(image, i, y + ky - 1, col + kx - 1)
                                exact += product
                                magnitude += abs(product)
                            }
                        }
                    }
                    let got = Double(weightGradient[(o * c + i) * 9 + tap])
                    #expect(
                        abs(got - exact) <= allowance * magnitude, "weight (\(o), \(i), \(tap)): \(got) vs \(exact)")
                }
            }
            let biasExact = (0..<n).reduce(0.0) { sum, image in
                sum + (0..<(h * w)).reduce(0.0) { $0 + gradient(image, o, $1 / w, $1 % w) }
            }
            if let biasGradient = conv.bias?.gradient.values[o] {
                #expect(
                    abs(Double(biasGradient) - biasExact) <= allowance * Double(n * h * w),
                    "bias \(o): \(biasGradient) vs \(biasExact)")
            }
        }
        // The input gradient (the transposed layer's implicit GEMM) as a full correlation.
        for image in 0..<n {
            for i in 0..<c {
                for y in 0..<h {
                    for col in 0..<w {
                        var exact = 0.0, magnitude = 0.0
                        for o in 0..<oc {
                            for tap in 0..<9 {
                                let (ky, kx) = tap.quotientAndRemainder(dividingBy: 3)
                                let product =
                                    gradient(image, o, y - ky + 1, col - kx + 1) * Double(weight[(o * c + i) * 9 + tap])
                                exact += product
                                magnitude += abs(product)
                            }
                        }
                        let got = Double(dx[((image * c + i) * h + y) * w + col])
                        #expect(abs(got - exact) <= Double(oc * 9) * 0x1p-24 * magnitude + 1e-30)
                    }
                }
            }
        }
        // The leaves are added in a fixed order: the other thread count gives the same bits.
        let other = layer(threads: 3 - kase.threads)
        _ = other.forward(x, training: true)
        _ = other.backward(dy)
        #expect(other.weight.gradient.values.map(\.bitPattern) == weightGradient.map(\.bitPattern))
    }
}
