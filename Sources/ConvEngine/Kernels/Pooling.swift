/// Max and average pooling over one (H, W) plane at a time, no padding, floor rounding.
enum Pooling {
    /// input (H, W) -> output (OH, OW); argmax gets the flat input index of each maximum
    /// (the first one on ties, as PyTorch).
    static func maxForward(_ input: UnsafePointer<Float>, _ g: ConvGeometry, output: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>) {
        let oh = g.outHeight, ow = g.outWidth
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
