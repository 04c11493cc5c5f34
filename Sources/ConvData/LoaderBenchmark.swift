import Foundation

/// Measures how many training images per second the prefetching loader prepares.
public enum LoaderBenchmark {
    /// Images per second through a `PrefetchingBatchLoader` over `dataset.train` with standard
    /// augmentation and the dataset's own normalisation, consuming batches as fast as they come.
    public static func imagesPerSecond(dataset: Dataset, batchSize: Int = 128, seconds: Double = 2) -> Double {
        let loader = BatchLoader(
            images: dataset.train, batchSize: batchSize, shuffle: true, seed: 1,
            augmentation: Augmentation(.standard, for: dataset),
            normalization: Normalization(ChannelStatistics(measuring: dataset.train)))
        let prefetching = PrefetchingBatchLoader(loader)
        defer { prefetching.stop() }
        // The first batch pays for the first epoch's shuffle and the buffers' allocation.
        if let warmup = prefetching.next() { prefetching.recycle(warmup) }
        var images = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        while elapsed < seconds, let batch = prefetching.next() {
            images += batch.count
            prefetching.recycle(batch)
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return Double(images) / max(elapsed, 1e-9)
    }
}
