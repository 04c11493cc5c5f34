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

    /// 8-bit pixels in memory, addressed through strides so that one filter reads both the
    /// decoders' interleaved rows (HWC) and the stored images' planes (CHW).
    struct PixelGrid {
        var base: UnsafePointer<UInt8>
        var width: Int
        var height: Int
        var channels: Int
        var pixelStride: Int
        var rowStride: Int
        var channelStride: Int

        /// A decoded image: rows of pixels with their channels together.
        static func interleaved(_ base: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int) -> PixelGrid {
            PixelGrid(
                base: base, width: width, height: height, channels: channels, pixelStride: channels,
                rowStride: width * channels, channelStride: 1)
        }

        /// A stored image: one plane per channel.
        static func planar(_ base: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int) -> PixelGrid {
            PixelGrid(
                base: base, width: width, height: height, channels: channels, pixelStride: 1, rowStride: width,
                channelStride: width * height)
        }

        func value(x: Int, y: Int, channel: Int) -> UInt8 {
            base[y * rowStride + x * pixelStride + channel * channelStride]
        }
    }

    /// A rectangle of source pixels.
    public struct CropBox: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// torchvision's `Resize` then `CenterCrop` to `size`: the image scaled, keeping its aspect
    /// ratio, until it just covers `size` (for a square, its shorter side becomes the square's),
    /// and the centre `size` kept. Returns CHW bytes with the image's channels.
    public static func centreCrop(_ image: DecodedImage, to size: ImageSize) -> [UInt8] {
        precondition(size.width > 0 && size.height > 0, "size must be positive")
        let scaled = size.covering(width: image.width, height: image.height)
        let left = Int((Double(scaled.width - size.width) / 2).rounded())
        let top = Int((Double(scaled.height - size.height) / 2).rounded())
        return resampled(
            image, to: scaled, columns: left..<(left + size.width), rows: top..<(top + size.height))
    }

    /// The size of a `width` x `height` image scaled down (never up) only as far as it still
    /// covers `size` enlarged `factor` times.
    static func scaledCopySize(width: Int, height: Int, covering size: ImageSize, factor: Int) -> (
        width: Int, height: Int
    ) {
        let bound = ImageSize(width: size.width * factor, height: size.height * factor)
        let scaled = bound.covering(width: width, height: height)
        return scaled.width >= width || scaled.height >= height ? (width, height) : scaled
    }

    /// The whole image as CHW bytes at `scaledCopySize`: the copy that random resized crops are
    /// drawn from.
    public static func scaledCopy(_ image: DecodedImage, covering size: ImageSize, factor: Int) -> [UInt8] {
        let scaled = scaledCopySize(width: image.width, height: image.height, covering: size, factor: factor)
        return resampled(image, to: scaled, columns: 0..<scaled.width, rows: 0..<scaled.height)
    }

    /// The `columns` x `rows` window of `image` scaled to `scaled`, as CHW bytes.
    static func resampled(
        _ image: DecodedImage, to scaled: (width: Int, height: Int), columns: Range<Int>, rows: Range<Int>
    ) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: image.channels * columns.count * rows.count)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                resample(
                    .interleaved(
                        source.baseAddress!, width: image.width, height: image.height, channels: image.channels),
                    box: CropBox(x: 0, y: 0, width: image.width, height: image.height), scaledWidth: scaled.width,
                    scaledHeight: scaled.height, columns: columns, rows: rows, into: target.baseAddress!)
            }
        }
        return output
    }

    /// torchvision's `resized_crop`: `box` of a CHW image scaled to `size`, written as CHW bytes
    /// to `output`.
    static func resizedCrop(
        planes: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, box: CropBox, to size: ImageSize,
        into output: UnsafeMutablePointer<UInt8>
    ) {
        resample(
            .planar(planes, width: width, height: height, channels: channels), box: box, scaledWidth: size.width,
            scaledHeight: size.height, columns: 0..<size.width, rows: 0..<size.height, into: output)
    }

    /// The `columns` x `rows` window of `box` of `source` scaled to `scaledWidth` x
    /// `scaledHeight`, as CHW bytes.
    static func resample(
        _ source: PixelGrid, box: CropBox, scaledWidth: Int, scaledHeight: Int,
        columns: Range<Int>, rows: Range<Int>, into output: UnsafeMutablePointer<UInt8>
    ) {
        let channels = source.channels, width = columns.count, height = rows.count
        if scaledWidth == box.width && scaledHeight == box.height {
            for channel in 0..<channels {
                for (y, boxY) in rows.enumerated() {
                    for (x, boxX) in columns.enumerated() {
                        output[(channel * height + y) * width + x] = source.value(
                            x: box.x + boxX, y: box.y + boxY, channel: channel)
                    }
                }
            }
            return
        }
        let horizontal = AxisFilter(inputSize: box.width, outputSize: scaledWidth, outputRange: columns)
        let vertical = AxisFilter(inputSize: box.height, outputSize: scaledHeight, outputRange: rows)
        let sourceRows = vertical.sourceRange
        // Horizontal pass over only the box rows the vertical pass reads: (row, x, channel).
        var across = [Float](repeating: 0, count: sourceRows.count * width * channels)
        across.withUnsafeMutableBufferPointer { target in
            for (row, boxY) in sourceRows.enumerated() {
                let rowStart = source.base + (box.y + boxY) * source.rowStride + box.x * source.pixelStride
                for x in 0..<width {
                    let first = rowStart + horizontal.first[x] * source.pixelStride
                    for channel in 0..<channels {
                        let start = first + channel * source.channelStride
                        var sum: Float = 0
                        for (tap, weight) in horizontal.weights[x].enumerated() {
                            sum += weight * Float(start[tap * source.pixelStride])
                        }
                        target[(row * width + x) * channels + channel] = sum
                    }
                }
            }
        }
        across.withUnsafeBufferPointer { across in
            for y in 0..<height {
                let first = vertical.first[y] - sourceRows.lowerBound
                for x in 0..<width {
                    for channel in 0..<channels {
                        var sum: Float = 0
                        for (tap, weight) in vertical.weights[y].enumerated() {
                            sum += weight * across[((first + tap) * width + x) * channels + channel]
                        }
                        output[(channel * height + y) * width + x] = UInt8(max(0, min(255, (sum + 0.5).rounded(.down))))
                    }
                }
            }
        }
    }
}
