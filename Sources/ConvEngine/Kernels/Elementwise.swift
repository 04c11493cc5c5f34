import CPrefetch

/// Element-by-element loops over `count` floats.
enum Elementwise {
    /// output = max(input, 0)
    static func relu(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = max(input[i], 0) }
    }

    /// inputGradient = outputGradient where output > 0, else 0
    static func reluBackward(
        _ output: UnsafePointer<Float>, _ outputGradient: UnsafePointer<Float>,
        _ inputGradient: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { inputGradient[i] = output[i] > 0 ? outputGradient[i] : 0 }
    }

    /// output = a + b
    static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        for i in 0..<count { output[i] = a[i] + b[i] }
    }

    /// output = a + b, the output's whole aligned vectors stored around the caches
    /// (`store(to:streaming:)`): `Residual`'s sums, 4.2 MB for 32 channels of 16x16 at batch 128.
    static func addStreaming(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        let head = min(count, (64 - Int(bitPattern: output) % 64) % 64 / 4)
        add(a, b, output, count: head)
        var i = head
        while i + 16 <= count {
            (SIMD16.load(a + i) + SIMD16.load(b + i)).store(to: output + i, streaming: true)
            i += 16
        }
        add(a + i, b + i, output + i, count: count - i)
        cstream_fence()
    }

    /// output = a * b
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        for i in 0..<count { output[i] = a[i] * b[i] }
    }

    /// matrix (rows, columns): row r += bias[r % biasCount]
    static func addRowBias(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>,
        biasCount: Int
    ) {
        for r in 0..<rows {
            let line = matrix + r * columns, b = bias[r % biasCount]
            for c in 0..<columns { line[c] += b }
        }
    }

    /// matrix (rows, columns): every row += bias (columns)
    static func addColumnBias(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>
    ) {
        for r in 0..<rows {
            let line = matrix + r * columns
            for c in 0..<columns { line[c] += bias[c] }
        }
    }

    /// The sum of the 16 lanes as a tree of halves: a few vector adds instead of 15 dependent ones.
    @inline(__always)
    static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf, four = eight.lowHalf + eight.highHalf, two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// sums[r] += sum of row r of matrix (rows, columns)
    ///
    /// Sums in 16 lanes: a float sum is a chain of dependent adds, which the compiler may not
    /// reorder, and one add per 4-cycle latency made the bias gradient a tenth of a LeNet step.
    static func accumulateRowSums(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int,
        into sums: UnsafeMutablePointer<Float>
    ) {
        let vectors = columns / 16
        for r in 0..<rows {
            let line = UnsafeRawPointer(matrix + r * columns)
            var lanes = SIMD16<Float>(), more = SIMD16<Float>()
            var v = 0
            while v + 1 < vectors {
                lanes += line.loadUnaligned(fromByteOffset: 64 * v, as: SIMD16<Float>.self)
                more += line.loadUnaligned(fromByteOffset: 64 * v + 64, as: SIMD16<Float>.self)
                v += 2
            }
            if v < vectors { lanes += line.loadUnaligned(fromByteOffset: 64 * v, as: SIMD16<Float>.self) }
            var s = horizontalSum(lanes + more)
            for c in (vectors * 16)..<columns { s += matrix[r * columns + c] }
            sums[r] += s
        }
    }

    /// biasGradient (C) += the sums of the planes of gradient (N, C, plane), split by channels
    /// between the pool's threads, each channel summed over the images in order, as on one thread.
    static func accumulateBiasGradient(
        _ gradient: UnsafePointer<Float>, images n: Int, channels: Int, plane: Int,
        into biasGradient: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        pool.forEachChunk(count: channels, minimumChunk: max(1, 16384 / (n * plane))) { part in
            for image in 0..<n {
                accumulateRowSums(
                    gradient + (image * channels + part.lowerBound) * plane, rows: part.count, columns: plane,
                    into: biasGradient + part.lowerBound)
            }
        }
    }

    /// sums[c] += sum of column c of matrix (rows, columns)
    static func accumulateColumnSums(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int,
        into sums: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let line = matrix + r * columns
            for c in 0..<columns { sums[c] += line[c] }
        }
    }

    /// target[0..<count] += source[0..<count], vectorised for the short runs of col2im.
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let sum = SIMD16.load(target + i) + SIMD16.load(source + i)
            sum.store(to: target + i)
            i += 16
        }
        while i < count {
            target[i] += source[i]
            i += 1
        }
    }

    /// target += source
    static func accumulate(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { target[i] += source[i] }
    }
}
