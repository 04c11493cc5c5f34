/// Max and average pooling over one (H, W) plane at a time, no padding, floor rounding.
enum Pooling {
    /// input (H, W) -> output (OH, OW); argmax gets the flat input index of each maximum
    /// (the first one on ties, as PyTorch).
    static func maxForward(
        _ input: UnsafePointer<Float>, _ g: ConvGeometry, output: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int32>
    ) {
        let oh = g.outHeight, ow = g.outWidth
        if g.kernel == 2 && g.stride == 2 {
            if ow >= 8 {
                maxForward2x2(input, g, output: output, argmax: argmax)
            } else {
                maxForwardNarrow2x2(input, g, output: output, argmax: argmax)
            }
            return
        }
        for y in 0..<oh {
            for x in 0..<ow {
                let y0 = y * g.stride, x0 = x * g.stride
                var best = input[y0 * g.width + x0], bestIndex = y0 * g.width + x0
                for ky in 0..<g.kernel {
                    let line = (y0 + ky) * g.width + x0
                    for kx in 0..<g.kernel where input[line + kx] > best {
                        best = input[line + kx]
                        bestIndex = line + kx
                    }
                }
                output[y * ow + x] = best
                argmax[y * ow + x] = Int32(bestIndex)
            }
        }
    }

    /// `maxForward` for 2x2 windows with stride 2 (every pooling layer of the presets), eight
    /// outputs at a time. A row whose width is not a multiple of 8 ends with a vector overlapping
    /// the previous one.
    private static func maxForward2x2(
        _ input: UnsafePointer<Float>, _ g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let ow = g.outWidth
        for y in 0..<g.outHeight {
            var x = 0
            while x < ow {
                x = min(x, ow - 8)
                maxOf2x2(input, g, row: y, column: x, output: output + y * ow + x, argmax: argmax + y * ow + x)
                x += 8
            }
        }
    }

    /// The eight 2x2 windows from output (row, column): reads 16 floats of two input rows,
    /// writes 8 outputs and the input index of each maximum.
    @inline(__always)
    private static func maxOf2x2(
        _ input: UnsafePointer<Float>, _ g: ConvGeometry, row y: Int, column x: Int,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let width = g.width, first = 2 * y * width + 2 * x
        let (best, taps) = windowMaxima(SIMD16.load(input + first), SIMD16.load(input + first + width))
        var index = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14) &+ Int32(first)
        index.replace(with: index &+ 1, where: taps.1)
        index.replace(with: index &+ Int32(width), where: taps.2)
        index.replace(with: index &+ Int32(width + 1), where: taps.3)
        best.store(to: output)
        index.store(to: argmax)
    }

    typealias TapMask = SIMDMask<SIMD8<Int32>>

    /// The maxima of eight 2x2 windows side by side, whose rows are `top` and `bottom` (16 values
    /// each), and where each maximum is: the first tap holding it in PyTorch's order (the top
    /// row's two, then the bottom row's), as four exclusive masks, so that ties pick the index
    /// the scalar loop picks.
    @inline(__always)
    static func windowMaxima(
        _ top: SIMD16<Float>, _ bottom: SIMD16<Float>
    ) -> (best: SIMD8<Float>, taps: (TapMask, TapMask, TapMask, TapMask)) {
        var best = top.evenLanes
        best.replace(with: top.oddLanes, where: top.oddLanes .> best)
        best.replace(with: bottom.evenLanes, where: bottom.evenLanes .> best)
        best.replace(with: bottom.oddLanes, where: bottom.oddLanes .> best)
        let first = top.evenLanes .== best
        let second = .!first .& (top.oddLanes .== best)
        let third = .!(first .| second) .& (bottom.evenLanes .== best)
        return (best, (first, second, third, .!(first .| second .| third)))
    }

    /// `maxForward` for 2x2 windows with stride 2 on rows of fewer than 8 outputs (Fashion-MNIST's
    /// 14- and 7-wide pools, LeNet's 10-wide): a vector per output row, whose lanes past the row
    /// are overwritten by the next row; the last rows, where it would read or write past the
    /// plane, have the four taps unrolled, compared in the same order.
    private static func maxForwardNarrow2x2(
        _ input: UnsafePointer<Float>, _ g: ConvGeometry,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let ow = g.outWidth, width = g.width
        for y in 0..<g.outHeight {
            if (2 * y + 1) * width + 16 <= g.inputPlane && y * ow + 8 <= g.outputPlane {
                maxOf2x2(input, g, row: y, column: 0, output: output + y * ow, argmax: argmax + y * ow)
                continue
            }
            for x in 0..<ow {
                let first = 2 * y * width + 2 * x
                var best = input[first], index = first
                if input[first + 1] > best { (best, index) = (input[first + 1], first + 1) }
                if input[first + width] > best { (best, index) = (input[first + width], first + width) }
                if input[first + width + 1] > best { (best, index) = (input[first + width + 1], first + width + 1) }
                output[y * ow + x] = best
                argmax[y * ow + x] = Int32(index)
            }
        }
    }

    /// outputGradient (OH, OW) -> inputGradient (H, W), overwritten.
    static func maxBackward(
        _ outputGradient: UnsafePointer<Float>, _ g: ConvGeometry, argmax: UnsafePointer<Int32>,
        inputGradient: UnsafeMutablePointer<Float>
    ) {
        inputGradient.update(repeating: 0, count: g.inputPlane)
        for i in 0..<g.outputPlane { inputGradient[Int(argmax[i])] += outputGradient[i] }
    }

    /// input (H, W) -> output (OH, OW), the mean of each window.
    static func averageForward(_ input: UnsafePointer<Float>, _ g: ConvGeometry, output: UnsafeMutablePointer<Float>) {
        let ow = g.outWidth, scale = 1 / Float(g.kernel * g.kernel)
        for y in 0..<g.outHeight {
            for x in 0..<ow {
                var sum: Float = 0
                for ky in 0..<g.kernel {
                    let line = input + (y * g.stride + ky) * g.width + x * g.stride
                    for kx in 0..<g.kernel { sum += line[kx] }
                }
                output[y * ow + x] = sum * scale
            }
        }
    }

    /// outputGradient (OH, OW) -> inputGradient (H, W), overwritten.
    static func averageBackward(
        _ outputGradient: UnsafePointer<Float>, _ g: ConvGeometry,
        inputGradient: UnsafeMutablePointer<Float>
    ) {
        inputGradient.update(repeating: 0, count: g.inputPlane)
        let ow = g.outWidth, scale = 1 / Float(g.kernel * g.kernel)
        for y in 0..<g.outHeight {
            for x in 0..<ow {
                let share = outputGradient[y * ow + x] * scale
                for ky in 0..<g.kernel {
                    let line = inputGradient + (y * g.stride + ky) * g.width + x * g.stride
                    for kx in 0..<g.kernel { line[kx] += share }
                }
            }
        }
    }
}
