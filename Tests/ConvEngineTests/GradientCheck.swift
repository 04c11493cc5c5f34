import ConvEngine

/// Compares a layer's backward pass with central finite differences.
///
/// The scalar checked is L = sum(output * r) for a fixed random r, so dL/dOutput = r. Inputs are a
/// shuffled grid of values at least `0.05` apart and away from zero, so that no finite-difference
/// step of `step` crosses a ReLU kink or changes which element of a pooling window is largest.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance: Double = 2e-3
    var training = true

    struct Outcome: CustomStringConvertible {
        /// The largest |analytic - numeric| / (1 + |numeric|) and where it occurred.
        var worst: Double = 0
        var location = "nowhere"
        var checked = 0

        mutating func record(_ analytic: Float, _ numeric: Double, _ name: String) {
            checked += 1
            let error = abs(Double(analytic) - numeric) / (1 + abs(numeric))
            if error > worst {
                worst = error
                location = "\(name): analytic \(analytic), numeric \(numeric)"
            }
        }

        var description: String { "largest error \(worst) at \(location) (\(checked) values checked)" }
    }

    /// A shuffled grid of distinct values, none within 0.025 of zero.
    static func spacedValues(_ count: Int, seed: UInt64) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { i in Float(i - count / 2) * 0.05 + 0.025 }.shuffled(using: &generator)
    }

    func check(_ layer: any Layer, inputShape: [Int], seed: UInt64 = 7) -> Outcome {
        let input = Tensor(shape: inputShape, values: Self.spacedValues(inputShape.reduce(1, *), seed: seed))
        let outputShape = [inputShape[0]] + layer.outputShape(for: Array(inputShape.dropFirst()))
        var generator = RandomGenerator(seed: seed + 1)
        let projection = Tensor(
            shape: outputShape,
            values: (0..<outputShape.reduce(1, *)).map { _ in
                generator.uniform(-1, 1)
            })
        let loss = { () -> Double in
            let output = layer.forward(input, training: training)
            var sum = 0.0
            for i in 0..<output.count { sum += Double(output[i]) * Double(projection[i]) }
            return sum
        }
        _ = loss()
        for parameter in layer.parameters { parameter.gradient.fill(0) }
        let inputGradient = layer.backward(projection).values
        var outcome = Outcome()
        let numeric = { (tensor: Tensor, index: Int) -> Double in
            let saved = tensor[index]
            tensor[index] = saved + step
            let plus = loss()
            tensor[index] = saved - step
            let minus = loss()
            tensor[index] = saved
            return (plus - minus) / (2 * Double(step))
        }
        for i in 0..<input.count { outcome.record(inputGradient[i], numeric(input, i), "input[\(i)]") }
        for parameter in layer.parameters {
            let analytic = parameter.gradient.values
            for i in 0..<parameter.value.count {
                outcome.record(analytic[i], numeric(parameter.value, i), "\(parameter.name)[\(i)]")
            }
        }
        return outcome
    }
}
