/// Mean and standard deviation of each channel, on the 0...1 scale (pixel / 255).
public struct ChannelStatistics: Sendable, Equatable {
    public var mean: [Float]
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Measures every pixel of `images` (exactly, through a histogram per channel).
    public init(measuring images: ImageSet) {
        let dims = images.dimensions
        let plane = dims.height * dims.width
        var counts = [Int](repeating: 0, count: 256 * dims.channels)
        counts.withUnsafeMutableBufferPointer { counts in
            images.packed.withBase { base in
                for offset in images.packed.offsets {
                    for channel in 0..<dims.channels {
                        let start = base + offset + channel * plane
                        let histogram = counts.baseAddress! + 256 * channel
                        for value in UnsafeBufferPointer(start: start, count: plane) { histogram[Int(value)] += 1 }
                    }
                }
            }
        }
        let histograms = (0..<dims.channels).map { counts[(256 * $0)..<(256 * $0 + 256)] }
        var mean = [Float]()
        var deviation = [Float]()
        for histogram in histograms {
            let n = Double(max(1, histogram.reduce(0, +)))
            var sum = 0.0, sumOfSquares = 0.0
            for (value, count) in histogram.enumerated() {
                let x = Double(value) / 255
                sum += x * Double(count)
                sumOfSquares += x * x * Double(count)
            }
            let m = sum / n
            mean.append(Float(m))
            deviation.append(Float(max(0, sumOfSquares / n - m * m).squareRoot()))
        }
        self.init(mean: mean, standardDeviation: deviation)
    }
}
