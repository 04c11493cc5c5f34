import ConvData
import ConvEngine

extension ModelChoice {
    /// The network fitted to `dataset`'s image shape and classes; a file that does not parse or
    /// a network too big or too small for the images is an error naming the file, line and column.
    public func network(for dataset: Dataset) throws(NetworkError) -> ResolvedNetwork {
        let d = dataset.dimensions
        return try load().resolve(inputShape: [d.channels, d.height, d.width], classes: dataset.classCount)
    }
}
