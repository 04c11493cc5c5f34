import ConvEngine
import Testing

@Suite struct ResidualTests {
    @Test func identityShortcutGradientsMatchFiniteDifferences() {
        let pool = ThreadPool(threads: 2)
        var generator = RandomGenerator(seed: 11)
        // No ReLU in the body: a finite-difference step could cross its kink at a hidden unit.
        let body = Sequential([
            ("conv1", Conv2d(3, 3, kernelSize: 3, padding: 1, generator: &generator, pool: pool)),
            ("bn1", BatchNorm2d(3, pool: pool)),
            ("conv2", Conv2d(3, 3, kernelSize: 3, padding: 1, bias: false, generator: &generator, pool: pool)),
        ])
        let outcome = GradientCheck().check(Residual(body: body, pool: pool), inputShape: [2, 3, 5, 4])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }

    /// Sums long enough to be split over two tasks, the second starting off a cache line: each
    /// task's aligned vectors stream, its ends are stored one by one, and every element is
    /// branch + input.
    @Test func largeSumsAreExact() {
        let pool = ThreadPool(threads: 2)
        let body = Sequential([("bn", BatchNorm2d(7, pool: pool))])
        var generator = RandomGenerator(seed: 13)
        let x = PrecisionTests.randomTensor([2, 7, 97, 97], &generator)
        let sum = Residual(body: body, pool: pool).forward(x, training: false).values
        let branch = body.forward(x, training: false).values
        #expect(sum == zip(branch, x.values).map { $0 + $1 })
    }

    @Test func projectionShortcutGradientsAndNames() {
        let pool = ThreadPool(threads: 1)
        var generator = RandomGenerator(seed: 12)
        let body = Sequential([("conv1", Conv2d(2, 4, kernelSize: 3, padding: 1, generator: &generator, pool: pool))])
        let shortcut = Sequential([("0", Conv2d(2, 4, kernelSize: 1, bias: false, generator: &generator, pool: pool))])
        let block = Residual(body: body, shortcut: shortcut, pool: pool)
        #expect(block.parameters.map(\.name) == ["conv1.weight", "conv1.bias", "shortcut.0.weight"])
        let outcome = GradientCheck().check(block, inputShape: [2, 2, 4, 4])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }
}
