import Testing
import ConvEngine

@Suite struct LinearTests {
    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 4)
        let linear = Linear(12, 5, generator: &generator, pool: ThreadPool(threads: 2))
        let outcome = GradientCheck().check(linear, inputShape: [3, 3, 2, 2])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }
}
