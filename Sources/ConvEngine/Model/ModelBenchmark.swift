import Foundation

/// Training and inference throughput of one preset at one batch size, on inputs of one shape
/// (CIFAR-10's 3x32x32 unless told otherwise, as in its PyTorch twin) with 10 classes.
public struct ModelBenchmark: Sendable {
    public typealias InputShape = (channels: Int, height: Int, width: Int)

    public let preset: ModelPreset
    public let batch: Int
    public let input: InputShape
    /// The operands' format in the model's products (`Model.precision`).
    public let precision: Precision

    /// CIFAR-10's shape, which `convtop bench` and its PyTorch twin use by default.
    public static let cifarInput: InputShape = (3, 32, 32)

    /// The batch sizes `convtop bench` measures by default.
    public static let batches = [4, 32, 128]

    public init(preset: ModelPreset, batch: Int, input: InputShape = cifarInput, precision: Precision = .fp32) {
        self.preset = preset
        self.batch = batch
        self.input = input
        self.precision = precision
    }

    /// Images per second for a full training step (forward, cross-entropy, backward, SGD with
    /// momentum) and for an inference forward pass, in that order.
    public func measure(pool: ThreadPool, seconds: Double) -> [BenchmarkRecord] {
        let (model, input, labels) = setUp(pool: pool)
        let loss = SoftmaxCrossEntropy()
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.01, momentum: 0.9, pool: pool)
        let train = Benchmark.stepsPerSecond(seconds: seconds) {
            model.zeroGradients()
            _ = loss.forward(logits: model.forward(input, training: true), labels: labels)
            model.backward(loss.gradient)
            optimizer.step()
        }
        let inference = Benchmark.stepsPerSecond(seconds: seconds) {
            _ = model.forward(input, training: false)
        }
        return [
            record("train", train * Double(batch), threads: pool.threadCount),
            record("inference", inference * Double(batch), threads: pool.threadCount),
        ]
    }

    /// Microseconds per batch that each layer takes in the forward and backward passes of a
    /// training step, in the order the layers run (a residual block is one layer): medians over
    /// at least five steps and `seconds`, after a warm-up step. One record per layer, with its
    /// share of the time spent in all layers and, for layers that convolve, the algorithm of each
    /// convolution (`winograd`, or `conv1 winograd, conv2 winograd` for a residual block).
    public func layerTimes(pool: ThreadPool, seconds: Double) -> [BenchmarkRecord] {
        let (model, input, labels) = setUp(pool: pool)
        let times = Self.layerTimes(of: model, input: input, labels: labels, seconds: seconds)
        let all = times.reduce(0) { $0 + $1.forward + $1.backward }
        let layers = model.network.runOrder
        var shape = model.inputShape
        return times.indices.map { i in
            let algorithms = convolutions(in: [layers[i]], input: shape).map { conv in
                let inner = conv.name.dropFirst(layers[i].name.count).drop { $0 == "." }
                return (inner.isEmpty ? "" : "\(inner) ") + "\(conv.layer.algorithm(for: conv.inputShape))"
            }
            shape = layers[i].layer.outputShape(for: shape)
            let layer = times[i]
            return BenchmarkRecord(
                [
                    ("preset", .string(preset.rawValue)), ("kind", .string("layer")), ("batch", .int(batch)),
                    ("threads", .int(pool.threadCount)), ("layer", .string(layer.name)),
                    ("forward_us", .number(layer.forward)), ("backward_us", .number(layer.backward)),
                    ("share_percent", .number(all > 0 ? 100 * (layer.forward + layer.backward) / all : 0)),
                ] + (algorithms.isEmpty ? [] : [("algorithm", .string(algorithms.joined(separator: ", ")))]))
        }
    }

    /// Microseconds per batch that each of `model`'s layers takes in the forward and backward
    /// passes of a training step on `input`, in the order the layers run (a block is one layer):
    /// medians over at least five steps and `seconds`, after a warm-up step.
    public static func layerTimes(
        of model: Model, input: Tensor, labels: [Int],
        seconds: Double
    ) -> [(name: String, forward: Double, backward: Double)] {
        let loss = SoftmaxCrossEntropy()
        let layers = model.network.runOrder
        var forward = [[Double]](repeating: [], count: layers.count), backward = forward
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0, step = 0
        func timed(_ body: () -> Void) -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3
        }
        repeat {
            model.zeroGradients()
            var x = input
            for (i, entry) in layers.enumerated() {
                let t = timed { x = entry.layer.forward(x, training: true) }
                if step > 0 { forward[i].append(t) }
            }
            _ = loss.forward(logits: x, labels: labels)
            var g = loss.gradient
            for (i, entry) in layers.enumerated().reversed() {
                let t = timed { g = entry.layer.backward(g) }
                if step > 0 { backward[i].append(t) }
            }
            step += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while step < 6 || elapsed < seconds
        let median = { (times: [Double]) in times.sorted()[times.count / 2] }
        return layers.indices.map { (layers[$0].name, median(forward[$0]), median(backward[$0])) }
    }

    /// A batch of reproducible pseudo-random pixels for images of `shape`, and labels cycling
    /// through `classes`.
    public static func syntheticBatch(_ batch: Int, shape: InputShape, classes: Int) -> (Tensor, [Int]) {
        let input = Tensor(shape: [batch, shape.channels, shape.height, shape.width])
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for i in 0..<input.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            input.data[i] = Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        return (input, (0..<batch).map { $0 % classes })
    }

    /// The preset for `input`-shaped images and 10 classes, a batch of reproducible pseudo-random
    /// pixels, and labels cycling through the classes.
    private func setUp(pool: ThreadPool) -> (Model, Tensor, [Int]) {
        let model = preset.build(input: self.input, classes: 10, seed: 0, pool: pool)
        model.precision = precision.available
        let (input, labels) = Self.syntheticBatch(batch, shape: self.input, classes: 10)
        return (model, input, labels)
    }

    private func record(_ kind: String, _ imagesPerSecond: Double, threads: Int) -> BenchmarkRecord {
        BenchmarkRecord([
            ("preset", .string(preset.rawValue)), ("kind", .string(kind)), ("batch", .int(batch)),
            ("threads", .int(threads)), ("images_per_second", .number(imagesPerSecond)),
            ("kernel", .string(GEMM.kernelName)), ("precision", .string(precision.available.rawValue)),
        ])
    }
}
