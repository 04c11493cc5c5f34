import ConvEngine
import Testing

@Suite struct PoolingLayerTests {
    @Test(arguments: [(2, 2), (3, 2), (2, 1)])
    func maxPoolGradientsMatchFiniteDifferences(kernel: Int, stride: Int) {
        let layer = MaxPool2d(kernelSize: kernel, stride: stride, pool: ThreadPool(threads: 2))
        let outcome = GradientCheck().check(layer, inputShape: [2, 3, 7, 6])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    @Test func maxPoolPicksWindowMaxima() {
        let layer = MaxPool2d(kernelSize: 2, pool: ThreadPool(threads: 1))
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 5, -2, -3, 4, 2, -1, -7])
        #expect(layer.forward(x, training: false).values == [5, -1])
    }

    @Test(arguments: [(2, 2), (3, 1)])
    func avgPoolGradientsMatchFiniteDifferences(kernel: Int, stride: Int) {
        let layer = AvgPool2d(kernelSize: kernel, stride: stride, pool: ThreadPool(threads: 2))
        let outcome = GradientCheck().check(layer, inputShape: [2, 3, 7, 6])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    @Test func globalAvgPoolGradientsMatchFiniteDifferences() {
        let outcome = GradientCheck().check(GlobalAvgPool(), inputShape: [2, 3, 4, 5])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }
}
