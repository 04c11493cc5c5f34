/// Training images per second, measured over windows of at least half a second of training.
///
/// It is given each step's own duration, so time spent outside steps (evaluations, checkpoints,
/// pauses) never dilutes the figure: it is the rate at which the model trains.
public struct Throughput: Sendable {
    /// Seconds of training a window covers at least.
    public static let window = 0.5
    private var sawFirstStep = false
    private var windowImages = 0
    private var windowSeconds = 0.0
    /// The rate over the last complete window (or over the steps so far, before the first one ends).
    public private(set) var imagesPerSecond = 0.0

    public init() {}

    /// Counts a step that trained `images` in `seconds`.
    public mutating func add(images: Int, seconds: Double) {
        guard sawFirstStep else {
            // The first step's time includes warm-up (allocation, prefetch), so it is not counted.
            sawFirstStep = true
            return
        }
        windowImages += images
        windowSeconds += max(0, seconds)
        guard windowSeconds > 0, windowSeconds >= Self.window || imagesPerSecond == 0 else { return }
        imagesPerSecond = Double(windowImages) / windowSeconds
        if windowSeconds >= Self.window {
            windowImages = 0
            windowSeconds = 0
        }
    }
}
