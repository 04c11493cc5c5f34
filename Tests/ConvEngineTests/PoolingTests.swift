import ConvEngine
import Testing

/// The max-pooling kernel, through `MaxPool2d`: the vectorised 2x2 path against the definition.
@Suite struct PoolingTests {
    /// Small integers, so windows often hold equal values and tie-breaking is exercised.
    static func input(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<count).map { Float(($0 * 7919 + 13) % 5) - 2 })
    }

    /// Rows of 8 outputs or more, then narrower ones (a vector per row but the last rows).
    @Test(arguments: [
        (28, 28), (16, 16), (9, 17), (5, 40), (32, 33), (3, 18), (14, 14), (7, 7), (10, 10),
        (15, 13), (4, 6),
    ])
    func maxPool2x2MatchesTheDefinition(height: Int, width: Int) {
        let layer = MaxPool2d(kernelSize: 2, pool: ThreadPool(threads: 2))
        let x = Self.input([2, 3, height, width])
        let y = layer.forward(x, training: true)
        let oh = height / 2, ow = width / 2
        // Every output gradient goes to the first maximum of its window (row by row), as in PyTorch.
        let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 + 1) })
        let dx = layer.backward(dy)
        var expectedY = [Float](), expectedDX = [Float](repeating: 0, count: x.count)
        for plane in 0..<6 {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity, bestIndex = 0
                    for ky in 0..<2 {
                        for kx in 0..<2 {
                            let index = plane * height * width + (2 * oy + ky) * width + 2 * ox + kx
                            if x[index] > best { (best, bestIndex) = (x[index], index) }
                        }
                    }
                    expectedY.append(best)
                    expectedDX[bestIndex] += dy[expectedY.count - 1]
                }
            }
        }
        #expect(y.values == expectedY)
        #expect(dx.values == expectedDX)
    }
}
