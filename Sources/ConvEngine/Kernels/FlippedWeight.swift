/// The weight of the convolution that gives a stride-1 layer's input gradient: dLoss/dinput is
/// dLoss/doutput convolved with the weight's channels swapped and each kernel rotated by half a
/// turn, padded by K-1-P (the layer's own padding when that is "same").
enum FlippedWeight {
    /// weight (OC, C, K, K) -> flipped (C, OC, K, K), kernels rotated; `flipped` is resized.
    static func write(
        _ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, taps: Int,
        into flipped: Tensor
    ) {
        flipped.resize(to: [inChannels, outChannels * taps])
        let target = flipped.data
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let from = weight + (o * inChannels + c) * taps, to = target + (c * outChannels + o) * taps
                for t in 0..<taps { to[t] = from[taps - 1 - t] }
            }
        }
    }
}
