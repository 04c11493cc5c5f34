/// A GEMM shape that the presets issue, named after the layer call it stands for.
public struct GEMMBenchmark: Sendable {
    public let name: String
    public let m: Int, n: Int, k: Int
    public let transA: Bool, transB: Bool

    /// Per-image convolution GEMMs of `lenet` and `convnet5` on 32x32x3 inputs (forward, weight
    /// gradient, input gradient), plus a square product that shows the kernel's ceiling.
    public static let representative: [GEMMBenchmark] = [
        GEMMBenchmark(name: "lenet.conv1.forward", m: 6, n: 784, k: 75, transA: false, transB: false),
        GEMMBenchmark(name: "lenet.conv1.weight_grad", m: 6, n: 75, k: 784, transA: false, transB: true),
        GEMMBenchmark(name: "lenet.conv2.forward", m: 16, n: 100, k: 150, transA: false, transB: false),
        GEMMBenchmark(name: "lenet.conv2.weight_grad", m: 16, n: 150, k: 100, transA: false, transB: true),
        GEMMBenchmark(name: "lenet.conv2.input_grad", m: 150, n: 100, k: 16, transA: true, transB: false),
        GEMMBenchmark(name: "convnet5.conv2.forward", m: 32, n: 1024, k: 288, transA: false, transB: false),
        GEMMBenchmark(name: "convnet5.conv4.forward", m: 64, n: 256, k: 576, transA: false, transB: false),
        GEMMBenchmark(name: "convnet5.conv4.weight_grad", m: 64, n: 576, k: 256, transA: false, transB: true),
        GEMMBenchmark(name: "convnet5.conv4.input_grad", m: 576, n: 256, k: 64, transA: true, transB: false),
        GEMMBenchmark(name: "square.1024", m: 1024, n: 1024, k: 1024, transA: false, transB: false),
    ]

    /// Measures this product with `pool` for about `seconds`, its operands in `precision`.
    public func measure(pool: ThreadPool, seconds: Double, precision: Precision = .fp32) -> BenchmarkRecord {
        let precision = precision.available
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 7) * 0.1 }
        for i in 0..<(k * n) { b[i] = Float(i % 5) * 0.1 }
        let rate = Benchmark.stepsPerSecond(seconds: seconds) {
            GEMM.multiply(
                precision, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: transA ? m : k,
                b: b, ldb: transB ? k : n, beta: 0, c: c, ldc: n, pool: pool)
        }
        return BenchmarkRecord([
            ("kind", .string("gemm")), ("shape", .string(name)), ("m", .int(m)), ("n", .int(n)), ("k", .int(k)),
            ("transA", .bool(transA)), ("transB", .bool(transB)), ("threads", .int(pool.threadCount)),
            ("gflops", .number(rate * Double(2 * m * n * k) / 1e9)),
            ("kernel", .string(precision == .bf16 ? BF16GEMM.kernelName : GEMM.kernelName)),
            ("precision", .string(precision.rawValue)),
        ])
    }
}
