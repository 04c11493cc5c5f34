import ConvEngine
import Testing

@Suite struct TensorTests {
    @Test func resizeKeepsMemoryWhenItFits() {
        let tensor = Tensor(shape: [4, 3])
        let address = tensor.data
        tensor.resize(to: [2, 3])
        #expect(tensor.count == 6 && tensor.data == address)
        tensor.resize(to: [4, 3])
        #expect(tensor.data == address)
        tensor.resize(to: [5, 3])
        #expect(tensor.count == 15)
    }

    @Test func rowMajorValuesAndScalars() {
        let tensor = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(tensor[1 * 3 + 2] == 6)
        #expect(tensor.itemCount == 3)
        let scalar = Tensor(shape: [])
        #expect(scalar.count == 1 && scalar[0] == 0)
        let copy = Tensor(shape: [1])
        copy.copy(from: tensor)
        #expect(copy.shape == [2, 3] && copy.values == tensor.values)
    }
}
