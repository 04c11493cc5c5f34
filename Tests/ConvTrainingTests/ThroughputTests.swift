import ConvTraining
import Testing

@Suite struct ThroughputTests {
    @Test func theFirstStepIsWarmUpAndIsNotCounted() {
        var throughput = Throughput()
        throughput.add(images: 64, seconds: 5)
        #expect(throughput.imagesPerSecond == 0)
        throughput.add(images: 64, seconds: 0.01)
        #expect(abs(throughput.imagesPerSecond - 6400) < 1e-6)
    }

    @Test func theRateIsImagesOverTheStepsOwnTime() {
        var throughput = Throughput()
        throughput.add(images: 64, seconds: 0.1)
        // 100 steps of 64 images in 10 ms each: 6,400 images/s, however long the gaps between
        // steps (an evaluation, a checkpoint, a pause) were, as those are never handed in.
        for _ in 0..<100 { throughput.add(images: 64, seconds: 0.01) }
        #expect(abs(throughput.imagesPerSecond - 6400) < 1e-6)
        for _ in 0..<100 { throughput.add(images: 64, seconds: 0.02) }
        #expect(abs(throughput.imagesPerSecond - 3200) < 1e-6)
    }

    @Test func theFigureChangesOncePerWindow() {
        var throughput = Throughput()
        throughput.add(images: 10, seconds: 1)
        throughput.add(images: 100, seconds: 0.1)
        #expect(abs(throughput.imagesPerSecond - 1000) < 1e-6)
        // The window closes only after half a second: until then the figure stays.
        for _ in 0..<3 { throughput.add(images: 500, seconds: 0.1) }
        #expect(abs(throughput.imagesPerSecond - 1000) < 1e-6)
        throughput.add(images: 500, seconds: 0.1)
        #expect(abs(throughput.imagesPerSecond - 2100 / 0.5) < 1e-6)
    }
}
