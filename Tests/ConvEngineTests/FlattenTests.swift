import ConvEngine
import Testing

@Suite struct FlattenTests {
    @Test func keepsOrderAndRestoresShape() {
        let layer = Flatten()
        let x = Tensor(shape: [2, 2, 1, 3], values: (0..<12).map(Float.init))
        let y = layer.forward(x, training: true)
        #expect(y.shape == [2, 6])
        #expect(y.values == x.values)
        let dx = layer.backward(Tensor(shape: [2, 6], values: (0..<12).map { Float($0) * 2 }))
        #expect(dx.shape == [2, 2, 1, 3])
        #expect(dx.values == (0..<12).map { Float($0) * 2 })
    }
}
