/// Direct SIMD convolution for narrow stride-1 layers with wide kernels (LeNet's 3->6 and 6->16
/// 5x5 convs).
///
/// With 6 or 16 output channels the im2col GEMM is skinny: unfolding the input costs more than
/// the arithmetic. These kernels read the image in place instead. A "position" is 16 adjacent
/// outputs of one row (a row narrower than 16 is one position; a wider row ends with a position
/// overlapping the previous one); each SIMD16 lane is one output column.
///
/// - forward: 2 positions x 6 output channels in 12 accumulators; per kernel tap two input
///   loads and six weight broadcasts feed twelve FMAs. Layers of 9 to 16 output channels keep
///   the channels in the lanes instead (`convolveChannelLanes`).
/// - weight gradient: 3 output channels x 5 kernel columns in 15 accumulators per (channel,
///   kernel row), swept over all positions; the lanes stay apart over the images of a leaf of
///   the batch and are summed once per leaf, the leaves in `BatchSummation`'s order.
/// - input gradient: the forward kernel on the output gradient padded by K-1-P, with the weight
///   transposed and flipped (a full correlation).
///
/// input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW), stride 1.
final class DirectConv: ConvForward, ConvBackward {
    static let lanes = 16
    /// Output channels per forward register block.
    static let block = 6
    /// Output channels and kernel columns per weight-gradient register block.
    static let gradientChannels = 3, gradientColumns = 5

    let geometry: ConvGeometry
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let padding: Int
    private let pool: ThreadPool

    /// Forward weights per block of 6 output channels: (C, K, K, 6), zero past the last channel.
    private let packed = Tensor(shape: [0])
    /// The same for the input gradient, from `flippedWeight`.
    private let packedFlipped = Tensor(shape: [0])
    private let flippedWeight = Tensor(shape: [0])
    /// Per leaf of the batch: its weight and bias gradients (see `backward`).
    private let partialGradients = Tensor(shape: [0])
    /// Per task: staged input, staged output gradient (masked positions and padded planes),
    /// weight-gradient lanes and the bias-gradient sums.
    private let scratch = Tensor(shape: [0])

    init(_ g: ConvGeometry, outChannels: Int, pool: ThreadPool) {
        precondition(
            g.stride == 1 && g.padding < g.kernel,
            "DirectConv needs stride 1 and padding below the kernel, got \(g)")
        geometry = g
        inChannels = g.channels
        self.outChannels = outChannels
        kernel = g.kernel
        padding = g.padding
        self.pool = pool
    }

    /// How the kernels read one image of `channels` planes for a sliding window producing
    /// outHeight x outWidth: straight from the tensor when the rows are wide enough for every
    /// vector read, otherwise from a staged copy with zero padding and slack at the row ends.
    struct Staging {
        let channels: Int
        let height: Int, width: Int
        let padding: Int
        let outHeight: Int, outWidth: Int
        let rows: Int, rowStride: Int
        var copies: Bool { padding > 0 || rowStride != width }
        var planeStride: Int { rows * rowStride }
        var size: Int { copies ? channels * planeStride : 0 }
        /// Vectors per output row.
        var vectors: Int { outWidth >= DirectConv.lanes ? (outWidth + DirectConv.lanes - 1) / DirectConv.lanes : 1 }
        var positions: Int { outHeight * vectors }

        /// `vectorReads`: whether kernels read 16-wide vectors from the rows (which then need
        /// slack at their ends) or single values.
        init(channels: Int, height: Int, width: Int, padding: Int, kernel: Int, vectorReads: Bool = true) {
            self.channels = channels
            self.height = height
            self.width = width
            self.padding = padding
            outHeight = height + 2 * padding - kernel + 1
            outWidth = width + 2 * padding - kernel + 1
            rows = height + 2 * padding
            let lastStart = outWidth >= DirectConv.lanes ? outWidth - DirectConv.lanes : 0
            // The weight-gradient kernel reads kernel columns in groups of 5.
            let columns =
                (kernel + DirectConv.gradientColumns - 1) / DirectConv.gradientColumns * DirectConv.gradientColumns
            let reach = vectorReads ? lastStart + columns - 1 + DirectConv.lanes : width
            rowStride = padding == 0 && width >= reach ? width : max(width + 2 * padding, reach)
        }

        /// The first output column of vector v of a row.
        @inline(__always)
        func start(_ v: Int) -> Int { min(v * DirectConv.lanes, max(0, outWidth - DirectConv.lanes)) }

        /// The offset of position p's first input element (and its output row and column).
        @inline(__always)
        func position(_ p: Int) -> (input: Int, row: Int, column: Int) {
            let y = p / vectors, x = start(p % vectors)
            return (y * rowStride + x, y, x)
        }

        /// The image the kernels read: `image` itself, or its padded copy in `buffer`.
        func stage(_ image: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
            guard copies else { return image }
            for c in 0..<channels {
                for r in 0..<rows {
                    let line = buffer + (c * rows + r) * rowStride
                    let y = r - padding
                    guard y >= 0 && y < height else {
                        line.update(repeating: 0, count: rowStride)
                        continue
                    }
                    line.update(repeating: 0, count: padding)
                    (line + padding).update(from: image + (c * height + y) * width, count: width)
                    (line + padding + width).update(repeating: 0, count: rowStride - padding - width)
                }
            }
            return UnsafePointer(buffer)
        }
    }

    /// The input as the forward kernel reads it: `convolveChannelLanes` reads single values, so
    /// rows need no slack.
    private func inputStaging(_ g: ConvGeometry) -> Staging {
        Staging(
            channels: inChannels, height: g.height, width: g.width, padding: padding, kernel: kernel,
            vectorReads: !forwardKeepsChannelsInLanes(g))
    }

    private func forwardKeepsChannelsInLanes(_ g: ConvGeometry) -> Bool {
        channelsInLanes && g.outHeight >= Self.channelLaneRows && g.outWidth >= Self.channelLaneColumns
    }

    /// The input as the weight gradient reads it: with output channels in the lanes it reads
    /// single values, so rows need no slack.
    private func weightGradientStaging(_ g: ConvGeometry) -> Staging {
        Staging(
            channels: inChannels, height: g.height, width: g.width, padding: padding, kernel: kernel,
            vectorReads: !channelsInLanes)
    }

    private var channelsInLanes: Bool { Self.keepsChannelsInLanes(outChannels: outChannels) }

    /// The output gradient (OC, OH, OW) padded by K-1-P, read by the forward kernel to give dx.
    private func gradientStaging(_ g: ConvGeometry) -> Staging {
        Staging(
            channels: outChannels, height: g.outHeight, width: g.outWidth, padding: kernel - 1 - padding, kernel: kernel
        )
    }

    private var gradientBlocks: Int { (outChannels + Self.gradientChannels - 1) / Self.gradientChannels }
    private var taps: Int { inChannels * kernel * kernel }

    /// Each part starts on a cache line (given a line-aligned base), so vector reads of the
    /// gradient buffers never straddle two lines.
    private struct TaskLayout {
        var input: Int, maskedGradient: Int, paddedGradient: Int, lanes: Int, biasSums: Int
        var total: Int { input + maskedGradient + paddedGradient + lanes + biasSums }

        init(input: Int, maskedGradient: Int, paddedGradient: Int, lanes: Int, biasSums: Int) {
            func line(_ floats: Int) -> Int { (floats + DirectConv.lanes - 1) / DirectConv.lanes * DirectConv.lanes }
            (self.input, self.maskedGradient) = (line(input), line(maskedGradient))
            self.paddedGradient = line(paddedGradient)
            (self.lanes, self.biasSums) = (line(lanes), line(biasSums))
        }
    }

    /// Room for `tasks` task layouts in `scratch`, from a cache-line boundary.
    private func taskBuffers(_ tasks: Int, _ task: TaskLayout) -> UnsafeMutablePointer<Float> {
        scratch.resize(to: [tasks * task.total + Self.lanes])
        let misalignment = Int(bitPattern: scratch.data) % 64
        return misalignment == 0 ? scratch.data : scratch.data + (64 - misalignment) / 4
    }

    private func layout(_ g: ConvGeometry, backward: Bool, inputGradient: Bool) -> TaskLayout {
        guard backward else {
            return TaskLayout(
                input: inputStaging(g).size, maskedGradient: 0, paddedGradient: 0,
                lanes: forwardKeepsChannelsInLanes(g) ? g.outputPlane * Self.lanes : 0, biasSums: 0)
        }
        let staging = weightGradientStaging(g), paddedGradient = inputGradient ? gradientStaging(g).size : 0
        if channelsInLanes {
            return TaskLayout(
                input: staging.size, maskedGradient: Self.transposedRows(staging) * Self.lanes,
                paddedGradient: paddedGradient, lanes: taps * Self.lanes, biasSums: outChannels)
        }
        let blocks = gradientBlocks * Self.gradientChannels
        return TaskLayout(
            input: staging.size, maskedGradient: blocks * staging.positions * Self.lanes,
            paddedGradient: paddedGradient, lanes: blocks * taps * Self.lanes, biasSums: outChannels)
    }

    private func tasks(_ n: Int) -> Int { max(1, min(pool.threadCount, n)) }

    /// output (N, OC, OH, OW) = conv(input (N, C, H, W)) + bias, overwritten.
    func forward(
        _ input: UnsafePointer<Float>, images n: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        let g = geometry
        let staging = inputStaging(g)
        let tasks = tasks(n)
        let task = layout(g, backward: false, inputGradient: false)
        let buffers = taskBuffers(tasks, task)
        let inLanes = forwardKeepsChannelsInLanes(g)
        Self.pack(
            weight, outChannels: outChannels, inChannels: inChannels, kernel: kernel,
            block: inLanes ? Self.lanes : Self.block, into: packed)
        let (x, w) = (input, UnsafePointer(packed.data))
        let (inSize, outSize) = (inChannels * g.inputPlane, outChannels * g.outputPlane)
        let (oc, k) = (outChannels, kernel)
        pool.run(tasks: tasks) { t in
            for image in ThreadPool.chunk(t, of: tasks, count: n) {
                let base = buffers + t * task.total
                let source = staging.stage(x + image * inSize, into: base)
                if inLanes {
                    Self.convolveChannelLanes(
                        source, staging, kernel: k, packed: w, bias: bias, outChannels: oc,
                        positionMajor: base + task.input, output: output + image * outSize)
                } else {
                    Self.convolve(
                        source, staging, kernel: k, packed: w, bias: bias, outChannels: oc,
                        output: output + image * outSize)
                }
            }
        }
    }

    /// Adds dLoss/dweight and dLoss/dbias into `weightGradient` and `biasGradient` and, when
    /// `inputGradient` is given, overwrites it with dLoss/dinput (N, C, H, W).
    func backward(
        _ input: UnsafePointer<Float>, images n: Int, outputGradient: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let g = geometry
        let staging = weightGradientStaging(g), padded = gradientStaging(g), inLanes = channelsInLanes
        let summation = BatchSummation(samples: n), tasks = summation.tasks(on: pool)
        let task = layout(g, backward: true, inputGradient: inputGradient != nil)
        let buffers = taskBuffers(tasks, task)
        if inputGradient != nil {
            FlippedWeight.write(
                weight, outChannels: outChannels, inChannels: inChannels, taps: kernel * kernel,
                into: flippedWeight)
            Self.pack(
                flippedWeight.data, outChannels: inChannels, inChannels: outChannels, kernel: kernel,
                into: packedFlipped)
        }
        let (x, dy, wFlipped) = (input, outputGradient, UnsafePointer(packedFlipped.data))
        let (inSize, outSize, plane) = (inChannels * g.inputPlane, outChannels * g.outputPlane, g.outputPlane)
        let (c, oc, k, blocks, taps) = (inChannels, outChannels, kernel, gradientBlocks, taps)
        // Per leaf: its weight gradient (OC, C, K, K), then its bias gradient (OC).
        let leafSize = oc * taps + oc
        partialGradients.resize(to: [summation.leaves.count, leafSize])
        let partials = partialGradients.data
        summation.forEachLeaf(on: pool) { t, leaf, images in
            let base = buffers + t * task.total
            let stagedInput = base, masked = base + task.input, paddedGradient = masked + task.maskedGradient
            let lanes = paddedGradient + task.paddedGradient, biasSums = lanes + task.lanes
            lanes.update(repeating: 0, count: task.lanes + task.biasSums)
            for image in images {
                let dyImage = dy + image * outSize
                let source = staging.stage(x + image * inSize, into: stagedInput)
                if inLanes {
                    Self.transposeGradient(dyImage, staging, channels: oc, into: masked)
                    Self.accumulateChannelLanes(source, staging, kernel: k, gradient: masked, into: lanes)
                } else {
                    Self.maskPositions(
                        dyImage, staging, channels: oc, padTo: blocks * Self.gradientChannels,
                        into: masked)
                    Self.accumulateWeightLanes(
                        source, staging, kernel: k, gradient: masked, blocks: blocks,
                        into: lanes)
                }
                Elementwise.accumulateRowSums(dyImage, rows: oc, columns: plane, into: biasSums)
                if let dx = inputGradient {
                    let gradientSource = padded.stage(dyImage, into: paddedGradient)
                    Self.convolve(
                        gradientSource, padded, kernel: k, packed: wFlipped, bias: nil, outChannels: c,
                        output: dx + image * inSize)
                }
            }
            let partial = partials + leaf * leafSize
            for o in 0..<oc {
                for tap in 0..<taps {
                    partial[o * taps + tap] =
                        inLanes
                        ? lanes[tap * Self.lanes + o]
                        : Elementwise.horizontalSum(SIMD16.load(lanes + (o * taps + tap) * Self.lanes))
                }
            }
            (partial + oc * taps).update(from: biasSums, count: oc)
        }
        summation.accumulate(partials, stride: leafSize, count: oc * taps, into: weightGradient, pool: pool)
        if let biasGradient {
            summation.accumulate(partials + oc * taps, stride: leafSize, count: oc, into: biasGradient, pool: pool)
        }
    }

    /// weight (OC, C, K, K) -> per block of `block` output channels (C, K, K, block).
    static func pack(
        _ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, kernel k: Int,
        block: Int = block, into packed: Tensor
    ) {
        let blocks = (outChannels + block - 1) / block, taps = inChannels * k * k
        packed.resize(to: [blocks * taps * block])
        let p = packed.data
        for b in 0..<blocks {
            for tap in 0..<taps {
                for j in 0..<block {
                    let o = b * block + j
                    p[(b * taps + tap) * block + j] = o < outChannels ? weight[o * taps + tap] : 0
                }
            }
        }
    }

    /// output (outChannels, OH, OW) = sum over channels and taps of packed weight x staged input,
    /// plus bias; overwritten.
    static func convolve(
        _ input: UnsafePointer<Float>, _ s: Staging, kernel k: Int, packed: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels: Int, output: UnsafeMutablePointer<Float>
    ) {
        let positions = s.positions, taps = s.channels * k * k
        let plane = s.outHeight * s.outWidth, width = min(lanes, s.outWidth)
        for b in 0..<((outChannels + block - 1) / block) {
            let first = b * block, count = min(block, outChannels - first)
            var start = SIMD8<Float>()
            if let bias { for j in 0..<count { start[j] = bias[first + j] } }
            for pair in Swift.stride(from: 0, to: positions, by: 2) {
                let p0 = s.position(pair), p1 = s.position(min(pair + 1, positions - 1))
                var a00 = SIMD16<Float>(repeating: start[0]), a01 = a00
                var a10 = SIMD16<Float>(repeating: start[1]), a11 = a10
                var a20 = SIMD16<Float>(repeating: start[2]), a21 = a20
                var a30 = SIMD16<Float>(repeating: start[3]), a31 = a30
                var a40 = SIMD16<Float>(repeating: start[4]), a41 = a40
                var a50 = SIMD16<Float>(repeating: start[5]), a51 = a50
                // Kernel rows that fall into the zero padding above or below both output rows add
                // nothing: the input gradient's full correlation spends a fifth of its taps there.
                let rows = max(0, s.padding - p1.row)..<min(k, s.padding + s.height - p0.row)
                let weights = packed + b * taps * block
                for c in 0..<s.channels {
                    var wp = weights + (c * k + rows.lowerBound) * k * block
                    for ky in rows {
                        let row = UnsafeRawPointer(input + c * s.planeStride + ky * s.rowStride)
                        let r0 = row + 4 * p0.input, r1 = row + 4 * p1.input
                        for kx in 0..<k {
                            let x0 = r0.loadUnaligned(fromByteOffset: 4 * kx, as: SIMD16<Float>.self)
                            let x1 = r1.loadUnaligned(fromByteOffset: 4 * kx, as: SIMD16<Float>.self)
                            var w = SIMD16<Float>(repeating: wp[0])
                            a00.addProduct(w, x0); a01.addProduct(w, x1)
                            w = SIMD16<Float>(repeating: wp[1])
                            a10.addProduct(w, x0); a11.addProduct(w, x1)
                            w = SIMD16<Float>(repeating: wp[2])
                            a20.addProduct(w, x0); a21.addProduct(w, x1)
                            w = SIMD16<Float>(repeating: wp[3])
                            a30.addProduct(w, x0); a31.addProduct(w, x1)
                            w = SIMD16<Float>(repeating: wp[4])
                            a40.addProduct(w, x0); a41.addProduct(w, x1)
                            w = SIMD16<Float>(repeating: wp[5])
                            a50.addProduct(w, x0); a51.addProduct(w, x1)
                            wp += block
                        }
                    }
                }
                let out = output + first * plane
                let o0 = out + p0.row * s.outWidth + p0.column, o1 = out + p1.row * s.outWidth + p1.column
                store(a00, a01, o0, o1, width)
                if count > 1 { store(a10, a11, o0 + plane, o1 + plane, width) }
                if count > 2 { store(a20, a21, o0 + 2 * plane, o1 + 2 * plane, width) }
                if count > 3 { store(a30, a31, o0 + 3 * plane, o1 + 3 * plane, width) }
                if count > 4 { store(a40, a41, o0 + 4 * plane, o1 + 4 * plane, width) }
                if count > 5 { store(a50, a51, o0 + 5 * plane, o1 + 5 * plane, width) }
            }
        }
    }

    @inline(__always)
    private static func store(
        _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ o0: UnsafeMutablePointer<Float>,
        _ o1: UnsafeMutablePointer<Float>, _ width: Int
    ) {
        if width == lanes {
            v0.store(to: o0)
            v1.store(to: o1)
        } else {
            for l in 0..<width { o0[l] = v0[l] }
            for l in 0..<width { o1[l] = v1[l] }
        }
    }

    /// gradient (channels, OH, OW) -> (padTo, positions, 16): each position's lanes, zero where a
    /// lane is past the row or already covered by the previous position, and for padding channels.
    static func maskPositions(
        _ gradient: UnsafePointer<Float>, _ s: Staging, channels: Int, padTo: Int,
        into masked: UnsafeMutablePointer<Float>
    ) {
        let positions = s.positions, plane = s.outHeight * s.outWidth
        (masked + channels * positions * lanes).update(repeating: 0, count: (padTo - channels) * positions * lanes)
        var to = masked
        for o in 0..<channels {
            for y in 0..<s.outHeight {
                let row = gradient + o * plane + y * s.outWidth
                for v in 0..<s.vectors {
                    let column = s.start(v)
                    let first = v * lanes - column, end = min(lanes, s.outWidth - column)
                    if first == 0 && end == lanes {
                        SIMD16.load(row + column).store(to: to)
                    } else {
                        for l in 0..<lanes { to[l] = l >= first && l < end ? row[column + l] : 0 }
                    }
                    to += lanes
                }
            }
        }
    }

    /// lanes (blocks*3, C, K, K, 16) += per lane, sum over positions of masked gradient x input.
    static func accumulateWeightLanes(
        _ input: UnsafePointer<Float>, _ s: Staging, kernel k: Int,
        gradient: UnsafePointer<Float>, blocks: Int,
        into lanesOut: UnsafeMutablePointer<Float>
    ) {
        let positions = s.positions, taps = s.channels * k * k
        for b in 0..<blocks {
            let g0 = gradient + 3 * b * positions * lanes
            let g1 = g0 + positions * lanes, g2 = g1 + positions * lanes
            for c in 0..<s.channels {
                for ky in 0..<k {
                    let row = UnsafeRawPointer(input + c * s.planeStride + ky * s.rowStride)
                    for kx0 in Swift.stride(from: 0, to: k, by: gradientColumns) {
                        var s00 = SIMD16<Float>(), s01 = s00, s02 = s00, s03 = s00, s04 = s00
                        var s10 = s00, s11 = s00, s12 = s00, s13 = s00, s14 = s00
                        var s20 = s00, s21 = s00, s22 = s00, s23 = s00, s24 = s00
                        var p = 0
                        for y in 0..<s.outHeight {
                            for v in 0..<s.vectors {
                                let r = row + 4 * (y * s.rowStride + s.start(v) + kx0)
                                let d0 = SIMD16.load(g0 + p * lanes)
                                let d1 = SIMD16.load(g1 + p * lanes)
                                let d2 = SIMD16.load(g2 + p * lanes)
                                p += 1
                                var x = r.loadUnaligned(as: SIMD16<Float>.self)
                                s00.addProduct(d0, x); s10.addProduct(d1, x); s20.addProduct(d2, x)
                                x = r.loadUnaligned(fromByteOffset: 4, as: SIMD16<Float>.self)
                                s01.addProduct(d0, x); s11.addProduct(d1, x); s21.addProduct(d2, x)
                                x = r.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
                                s02.addProduct(d0, x); s12.addProduct(d1, x); s22.addProduct(d2, x)
                                x = r.loadUnaligned(fromByteOffset: 12, as: SIMD16<Float>.self)
                                s03.addProduct(d0, x); s13.addProduct(d1, x); s23.addProduct(d2, x)
                                x = r.loadUnaligned(fromByteOffset: 16, as: SIMD16<Float>.self)
                                s04.addProduct(d0, x); s14.addProduct(d1, x); s24.addProduct(d2, x)
                            }
                        }
                        let target = lanesOut + ((3 * b * taps) + (c * k + ky) * k + kx0) * lanes
                        let count = min(gradientColumns, k - kx0)
                        addLanes(target, count, s00, s01, s02, s03, s04)
                        addLanes(target + taps * lanes, count, s10, s11, s12, s13, s14)
                        addLanes(target + 2 * taps * lanes, count, s20, s21, s22, s23, s24)
                    }
                }
            }
        }
    }

    /// target[i] += v_i (16 lanes each, 16 floats apart) for the first `count` of five vectors.
    @inline(__always)
    static func addLanes(
        _ target: UnsafeMutablePointer<Float>, _ count: Int, _ v0: SIMD16<Float>,
        _ v1: SIMD16<Float>, _ v2: SIMD16<Float>, _ v3: SIMD16<Float>, _ v4: SIMD16<Float>
    ) {
        let raw = UnsafeMutableRawPointer(target), size = 4 * lanes
        func add(_ i: Int, _ v: SIMD16<Float>) {
            raw.storeBytes(
                of: raw.loadUnaligned(fromByteOffset: i * size, as: SIMD16<Float>.self) + v,
                toByteOffset: i * size, as: SIMD16<Float>.self)
        }
        add(0, v0)
        if count > 1 { add(1, v1) }
        if count > 2 { add(2, v2) }
        if count > 3 { add(3, v3) }
        if count > 4 { add(4, v4) }
    }
}
