import ConvData
import ConvEngine

extension ModelPreset {
    /// Builds the network for `dataset`'s image shape and classes, initialised from `seed`.
    public func build(for dataset: Dataset, seed: UInt64, pool: ThreadPool) -> Model {
        let d = dataset.dimensions
        return build(input: (d.channels, d.height, d.width), classes: dataset.classCount, seed: seed, pool: pool)
    }
}
