/// Training loss and accuracy averaged over roughly the last 500 images, so that the numbers a
/// viewer shows are readable at any batch size (a batch of 4 alone scores 0, 25, 50, 75 or 100%).
///
/// An exponential moving average whose weight per batch grows with the batch size, divided by
/// the total weight so far so that the first steps are not pulled towards zero.
struct SmoothedMetrics {
    static let window = 500.0
    private var lossSum = 0.0
    private var accuracySum = 0.0
    private var weight = 0.0

    mutating func add(loss: Float, accuracy: Float, images: Int) {
        let alpha = min(1, Double(images) / Self.window)
        lossSum = lossSum * (1 - alpha) + Double(loss) * alpha
        accuracySum = accuracySum * (1 - alpha) + Double(accuracy) * alpha
        weight = weight * (1 - alpha) + alpha
    }

    var loss: Float { weight > 0 ? Float(lossSum / weight) : 0 }
    var accuracy: Float { weight > 0 ? Float(accuracySum / weight) : 0 }
}
