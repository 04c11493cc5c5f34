/// Training images per second, measured over windows of at least half a second of training.
struct Throughput {
    static let window = 0.5
    private var windowStart: Double?
    private var windowImages = 0
    private(set) var imagesPerSecond = 0.0

    /// Counts `images` trained by `time` (seconds of training, pauses excluded).
    mutating func add(images: Int, at time: Double) {
        guard let start = windowStart else {
            // The first step's time includes warm-up (allocation, prefetch), so it only opens a window.
            windowStart = time
            return
        }
        windowImages += images
        let span = time - start
        if span >= Self.window || imagesPerSecond == 0, span > 0 {
            imagesPerSecond = Double(windowImages) / span
        }
        if span >= Self.window {
            windowStart = time
            windowImages = 0
        }
    }
}
