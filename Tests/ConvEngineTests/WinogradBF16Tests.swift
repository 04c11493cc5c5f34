import ConvEngine
import Testing

/// `WinogradConv` (F(2x2, 3x3)) in bf16 against exact (Double) convolutions. Winograd rounds the transformed
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
    /// `WinogradConv` runs the Winograd layers F(4x4, 3x3) does not: maps 1 or 2 wide.
    static let cases = [
        // Odd channels (half a channel pair) and 144 outputs (a partial 32-channel sliver of dM),
        // tile rows spanning images.
        ConvLayerCase(channels: 127, outChannels: 144, height: 9, width: 2, batch: 3, threads: 2),
        // One column, on one thread.
        ConvLayerCase(channels: 200, outChannels: 64, height: 7, width: 1, batch: 2, threads: 1),
        // A 2x2 map, one tile an image.
        ConvLayerCase(channels: 160, outChannels: 96, height: 2, width: 2, batch: 5, threads: 2),
    ]

    static let unitRoundoff = 0x1p-8
    static let productBound = 2 * unitRoundoff + unitRoundoff * unitRoundoff
    typealias Planes = WinogradScheme.Planes
    static let scheme = WinogradScheme.f2

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
        let weight = conv.weight.value.values.map(Double.init)
        let (forward, input) = Self.scheme.worstRatios(
            x: x, dy: dy, y: y, dx: dx, weight: weight, productBound: Self.productBound)
        let inputs = Planes.images(of: x), gradients = Planes.images(of: dy)
        let sums = Self.scheme.weightGradient(inputs, gradients, productBound: Self.productBound)
        let weightError = WinogradScheme.worst(conv.weight.gradient.values, sums.exact, sums.bound)
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

    /// A NaN in the input stays a NaN through the bf16 rounding of the transformed patches
    /// (F(4x4, 3x3) on this map), so the run's NaN guard sees it; the outputs whose tiles do not
    /// touch it stay finite.
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
                    // Tiles of 4x4 outputs read the 6x6 patch around them: rows 4...7 hold the
                    // NaN's tile row (1) and columns 4...7 its tile column. Within them the
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
