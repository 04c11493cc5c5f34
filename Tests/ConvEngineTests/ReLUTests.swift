import ConvEngine
import Testing

@Suite struct ReLUTests {
    @Test func gradientsMatchFiniteDifferences() {
        let outcome = GradientCheck().check(ReLU(pool: ThreadPool(threads: 2)), inputShape: [2, 3, 4, 4])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    @Test func clampsNegativesToZero() {
        let x = Tensor(shape: [1, 4], values: [-1, 0, 2, -0.5])
        #expect(ReLU(pool: ThreadPool(threads: 1)).forward(x, training: true).values == [0, 0, 2, 0])
    }
}
