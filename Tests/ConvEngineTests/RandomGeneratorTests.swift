import ConvEngine
import Testing

@Suite struct RandomGeneratorTests {
    @Test func restoredStateContinuesTheSequence() throws {
        var generator = RandomGenerator(seed: 42)
        for _ in 0..<5 { _ = generator.next() }
        var restored = try #require(RandomGenerator(state: generator.state))
        #expect((0..<10).map { _ in generator.next() } == (0..<10).map { _ in restored.next() })
    }

    @Test func seedsDifferAndStatesAreValidated() {
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 2)
        #expect(a.next() != b.next())
        #expect(RandomGenerator(state: [0, 0, 0, 0]) == nil)
        #expect(RandomGenerator(state: [1, 2, 3]) == nil)
    }

    @Test func uniformStaysInRangeWithMeanInTheMiddle() {
        var generator = RandomGenerator(seed: 7)
        let values = (0..<100_000).map { _ in generator.uniform(-2, 3) }
        #expect(values.allSatisfy { $0 >= -2 && $0 < 3 })
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(abs(mean - 0.5) < 0.02)
    }
}
