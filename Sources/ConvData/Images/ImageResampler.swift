/// Antialiased resizing: a separable triangle (bilinear) filter whose support widens with the
/// reduction, as PIL's `resize(..., BILINEAR)` and torchvision's antialiased `Resize` do, so a
/// downscale averages every source pixel under an output pixel instead of sampling a few.
public enum ImageResampler {
    /// Where an `outputSize`-long axis samples an `inputSize`-long one: for output position `i`,
    /// `weights[i]` applied to the source positions from `first[i]`.
    struct AxisFilter {
        var first: [Int]
        var weights: [[Float]]

        init(inputSize: Int, outputSize: Int, outputRange: Range<Int>) {
            let scale = Double(inputSize) / Double(outputSize)
            let widening = max(scale, 1)
            let support = widening
            first = []
            weights = []
            for output in outputRange {
                let centre = (Double(output) + 0.5) * scale
                let low = max(Int(centre - support + 0.5), 0)
                let high = min(Int(centre + support + 0.5), inputSize)
                var taps = (low..<max(high, low + 1)).map { source in
                    Float(max(0, 1 - abs((Double(source) - centre + 0.5) / widening)))
                }
                let total = taps.reduce(0, +)
                if total > 0 {
                    taps = taps.map { $0 / total }
                } else {
                    taps = [1] + [Float](repeating: 0, count: taps.count - 1)
                }
                first.append(min(low, inputSize - 1))
                weights.append(taps)
            }
        }

        /// The source positions any output reads, as one range.
        var sourceRange: Range<Int> {
            let low = first.min() ?? 0
            let high = zip(first, weights).map { $0 + $1.count }.max() ?? 0
            return low..<high
        }
    }

    /// torchvision's `Resize(size)` then `CenterCrop(size)`: the shorter side scaled to `size`
    /// (the longer one in proportion, truncated), and the centre `size` x `size` square kept.
    /// Returns the square as CHW bytes with the image's channels.
    public static func shorterSideCentreCrop(_ image: DecodedImage, size: Int) -> [UInt8] {
        precondition(size > 0, "size must be positive")
        let (scaledWidth, scaledHeight) =
            image.width <= image.height
            ? (size, max(size, Int(Double(size) * Double(image.height) / Double(image.width))))
            : (max(size, Int(Double(size) * Double(image.width) / Double(image.height))), size)
        let left = Int((Double(scaledWidth - size) / 2).rounded())
        let top = Int((Double(scaledHeight - size) / 2).rounded())
        return resample(
            image, scaledWidth: scaledWidth, scaledHeight: scaledHeight,
            columns: left..<(left + size), rows: top..<(top + size))
    }

    /// The `columns` x `rows` window of `image` scaled to `scaledWidth` x `scaledHeight`, as CHW bytes.
    static func resample(
        _ image: DecodedImage, scaledWidth: Int, scaledHeight: Int,
        columns: Range<Int>, rows: Range<Int>
    ) -> [UInt8] {
        let channels = image.channels, width = columns.count, height = rows.count
        var output = [UInt8](repeating: 0, count: channels * width * height)
        if scaledWidth == image.width && scaledHeight == image.height {
            image.pixels.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    for channel in 0..<channels {
                        for (y, sourceY) in rows.enumerated() {
                            for (x, sourceX) in columns.enumerated() {
                                target[(channel * height + y) * width + x] =
                                    source[(sourceY * image.width + sourceX) * channels + channel]
                            }
                        }
                    }
                }
            }
            return output
        }
        let horizontal = AxisFilter(inputSize: image.width, outputSize: scaledWidth, outputRange: columns)
        let vertical = AxisFilter(inputSize: image.height, outputSize: scaledHeight, outputRange: rows)
        let sourceRows = vertical.sourceRange
        // Horizontal pass over only the source rows the vertical pass reads: (row, x, channel).
        var across = [Float](repeating: 0, count: sourceRows.count * width * channels)
        image.pixels.withUnsafeBufferPointer { source in
            across.withUnsafeMutableBufferPointer { target in
                for (row, sourceY) in sourceRows.enumerated() {
                    let rowStart = sourceY * image.width * channels
                    for x in 0..<width {
                        let first = horizontal.first[x]
                        for channel in 0..<channels {
                            var sum: Float = 0
                            for (tap, weight) in horizontal.weights[x].enumerated() {
                                sum += weight * Float(source[rowStart + (first + tap) * channels + channel])
                            }
                            target[(row * width + x) * channels + channel] = sum
                        }
                    }
                }
            }
        }
        across.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let first = vertical.first[y] - sourceRows.lowerBound
                    for x in 0..<width {
                        for channel in 0..<channels {
                            var sum: Float = 0
                            for (tap, weight) in vertical.weights[y].enumerated() {
                                sum += weight * source[((first + tap) * width + x) * channels + channel]
                            }
                            target[(channel * height + y) * width + x] = UInt8(
                                max(0, min(255, (sum + 0.5).rounded(.down))))
                        }
                    }
                }
            }
        }
        return output
    }
}
