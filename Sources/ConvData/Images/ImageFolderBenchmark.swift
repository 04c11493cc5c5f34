import Foundation

/// Measures how fast an image folder becomes a dataset: decoding, converting and resizing every
/// file (the first pass), and reading the decode cache (every later run).
public enum ImageFolderBenchmark {
    public struct Result: Sendable {
        /// Image files (usable and skipped) per load.
        public var files: Int
        /// Median images per second over the rounds, decoding every file.
        public var decodedPerSecond: Double
        /// Median images per second over the rounds, reading the cache.
        public var cachedPerSecond: Double
    }

    /// Loads `folder` `rounds` times decoding and `rounds` times from a cache in a temporary
    /// folder (removed afterwards), with `options`' size, channels and threads.
    public static func measure(_ folder: URL, options: ImageFolderOptions, rounds: Int = 3) throws -> Result {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("convtop-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        var decoding = options
        decoding.cacheFolder = nil
        decoding.progress = nil
        var cached = decoding
        cached.cacheFolder = cache
        let loaded = try ImageFolderLoader(options: cached).load(folder)
        let files = loaded.train.count + loaded.validation.count + loaded.test.count + loaded.skippedFiles.count
        func median(_ options: ImageFolderOptions) throws -> Double {
            var rates = [Double]()
            for _ in 0..<max(1, rounds) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try ImageFolderLoader(options: options).load(folder)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                rates.append(Double(files) / max(seconds, 1e-9))
            }
            return rates.sorted()[rates.count / 2]
        }
        return Result(files: files, decodedPerSecond: try median(decoding), cachedPerSecond: try median(cached))
    }
}
