import ConvEngine
import Testing

@Suite struct DropoutTests {
    @Test func dropsAboutPAndScalesTheRest() {
        let dropout = Dropout(probability: 0.25, generator: RandomGenerator(seed: 1))
        let x = Tensor(shape: [10, 1000], values: [Float](repeating: 2, count: 10000))
        let y = dropout.forward(x, training: true).values
        let dropped = y.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / 10000 - 0.25) < 0.02)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-6 })
        let dx = dropout.backward(Tensor(shape: [10, 1000], values: [Float](repeating: 1, count: 10000))).values
        #expect(zip(dx, y).allSatisfy { ($0 == 0) == ($1 == 0) })
    }

    @Test func evaluationPassesThrough() {
        let dropout = Dropout(probability: 0.5, generator: RandomGenerator(seed: 1))
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(dropout.forward(x, training: false).values == x.values)
    }

    @Test func gradientsMatchFiniteDifferencesForAFixedMask() {
        let dropout = Dropout(probability: 0.3, generator: RandomGenerator(seed: 4))
        let start = dropout.generator
        // Each forward of the check must draw the same mask, so it restarts the generator.
        let layer = ReplayingLayer(inner: dropout) { dropout.generator = start }
        let outcome = GradientCheck().check(layer, inputShape: [2, 3, 4])
        #expect(outcome.worst < 2e-3, "\(outcome)")
    }
}

/// Runs `beforeForward` before each forward pass of `inner`.
private final class ReplayingLayer: Layer {
    let inner: any Layer
    let beforeForward: () -> Void

    init(inner: any Layer, beforeForward: @escaping () -> Void) {
        self.inner = inner
        self.beforeForward = beforeForward
    }

    var summary: String { inner.summary }
    func outputShape(for inputShape: [Int]) -> [Int] { inner.outputShape(for: inputShape) }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        beforeForward()
        return inner.forward(input, training: training)
    }

    func backward(_ outputGradient: Tensor) -> Tensor { inner.backward(outputGradient) }
}
