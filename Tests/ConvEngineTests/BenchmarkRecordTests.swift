import ConvEngine
import Testing

@Suite struct BenchmarkRecordTests {
    @Test func printsOneJSONObjectWithKeysInOrder() {
        let record = BenchmarkRecord([
            ("preset", .string("lenet")), ("kind", .string("train")), ("batch", .int(32)),
            ("transA", .bool(false)), ("images_per_second", .number(5012.345)),
        ])
        #expect(
            record.json == #"{"preset":"lenet","kind":"train","batch":32,"transA":false,"images_per_second":5012.3}"#)
    }

    @Test func escapesQuotesAndBackslashes() {
        let record = BenchmarkRecord([("kernel", .string(#"a "b" \c"#))])
        #expect(record.json == #"{"kernel":"a \"b\" \\c"}"#)
    }

    @Test func stepsPerSecondWarmsUpThenTimesFiveRounds() {
        var steps = 0
        let rate = Benchmark.stepsPerSecond(seconds: 0.05) { steps += 1 }
        // One warm-up round and five timed rounds, each calling the step at least once.
        #expect(steps >= 6)
        #expect(rate > 0 && rate.isFinite)
    }
}
