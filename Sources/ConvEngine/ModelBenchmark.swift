/// Training and inference throughput of one preset at one batch size, on 32x32x3 inputs with 10
/// classes (the CIFAR-10 shape both `convtop bench` and its PyTorch twin use).
public struct ModelBenchmark: Sendable {
    public let preset: ModelPreset
    public let batch: Int

    /// The batch sizes `convtop bench` measures by default.
    public static let batches = [4, 32, 128]

    public init(preset: ModelPreset, batch: Int) {
        self.preset = preset
        self.batch = batch
    }

    /// Images per second for a full training step (forward, cross-entropy, backward, SGD with
    /// momentum) and for an inference forward pass, in that order.
    public func measure(pool: ThreadPool, seconds: Double) -> [BenchmarkRecord] {
        let model = preset.build(input: (channels: 3, height: 32, width: 32), classes: 10, seed: 0, pool: pool)
        let input = Tensor(shape: [batch, 3, 32, 32])
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for i in 0..<input.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            input.data[i] = Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        let labels = (0..<batch).map { $0 % 10 }
        let loss = SoftmaxCrossEntropy()
        let optimizer = SGD(parameters: model.namedParameters, learningRate: 0.01, momentum: 0.9)
        let train = Benchmark.stepsPerSecond(seconds: seconds) {
            model.zeroGradients()
            _ = loss.forward(logits: model.forward(input, training: true), labels: labels)
            model.backward(loss.gradient)
            optimizer.step()
        }
        let inference = Benchmark.stepsPerSecond(seconds: seconds) {
            _ = model.forward(input, training: false)
        }
        return [record("train", train * Double(batch), threads: pool.threadCount),
                record("inference", inference * Double(batch), threads: pool.threadCount)]
    }

    private func record(_ kind: String, _ imagesPerSecond: Double, threads: Int) -> BenchmarkRecord {
        BenchmarkRecord([
            ("preset", .string(preset.rawValue)), ("kind", .string(kind)), ("batch", .int(batch)),
            ("threads", .int(threads)), ("images_per_second", .number(imagesPerSecond)),
            ("kernel", .string(GEMM.kernelName)),
        ])
    }
}
