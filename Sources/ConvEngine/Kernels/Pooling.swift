/// Max and average pooling over one (H, W) plane at a time, no padding, floor rounding.
enum Pooling {
    /// input (H, W) -> output (OH, OW); argmax gets the flat input index of each maximum
    /// (the first one on ties, as PyTorch).
    static func maxForward(_ input: UnsafePointer<Float>, _ g: ConvGeometry, output: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>) {
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
    /// outputs at a time: even and odd input columns are split apart with vector shuffles and the
    /// four taps compared in PyTorch's order, so ties pick the same index as the scalar loop.
    /// A row whose width is not a multiple of 8 ends with a vector overlapping the previous one.
    private static func maxForward2x2(_ input: UnsafePointer<Float>, _ g: ConvGeometry,
                                      output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let ow = g.outWidth, width = g.width
        let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for y in 0..<g.outHeight {
            let top = UnsafeRawPointer(input + 2 * y * width), bottom = UnsafeRawPointer(input + (2 * y + 1) * width)
            var x = 0
            while x < ow {
                x = min(x, ow - 8)
                let a = top.loadUnaligned(fromByteOffset: 8 * x, as: SIMD16<Float>.self)
                let b = bottom.loadUnaligned(fromByteOffset: 8 * x, as: SIMD16<Float>.self)
                let first = Int32(2 * y * width + 2 * x)
                var best = a.evenHalf, index = lanes &+ first
                var mask = a.oddHalf .> best
                best.replace(with: a.oddHalf, where: mask)
                index.replace(with: lanes &+ (first + 1), where: mask)
                mask = b.evenHalf .> best
                best.replace(with: b.evenHalf, where: mask)
                index.replace(with: lanes &+ (first + Int32(width)), where: mask)
                mask = b.oddHalf .> best
                best.replace(with: b.oddHalf, where: mask)
                index.replace(with: lanes &+ (first + Int32(width) + 1), where: mask)
                UnsafeMutableRawPointer(output + y * ow + x).storeBytes(of: best, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(argmax + y * ow + x).storeBytes(of: index, as: SIMD8<Int32>.self)
                x += 8
            }
        }
    }

    /// `maxForward` for 2x2 windows with stride 2 on rows too narrow for a vector (LeNet's 10x10
    /// second pool): the four taps unrolled, compared in the same order.
    private static func maxForwardNarrow2x2(_ input: UnsafePointer<Float>, _ g: ConvGeometry,
                                            output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let ow = g.outWidth, width = g.width
        for y in 0..<g.outHeight {
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
    static func maxBackward(_ outputGradient: UnsafePointer<Float>, _ g: ConvGeometry, argmax: UnsafePointer<Int32>,
                            inputGradient: UnsafeMutablePointer<Float>) {
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
    static func averageBackward(_ outputGradient: UnsafePointer<Float>, _ g: ConvGeometry,
                                inputGradient: UnsafeMutablePointer<Float>) {
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
