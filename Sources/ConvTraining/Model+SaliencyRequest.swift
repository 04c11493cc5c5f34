import ConvData
import ConvEngine
import ConvProtocol

extension Model {
    /// The maps `request` asks for, of its images in `images` (the request's split) normalised with
    /// `normalization`, from the model's current weights at global step `step`. Each map is scaled so
    /// its largest value is 255. Throws when an index is outside the split.
    ///
    /// Like every saliency computation it adds into parameter gradients, which the next training
    /// step zeroes; batch-norm statistics and dropout generators are untouched, so training goes on
    /// exactly as without it.
    func saliencyMaps(
        for request: SaliencyRequest, in images: ImageSet, normalization: Normalization, step: Int
    ) throws -> SaliencyMaps {
        if let outside = request.indices.first(where: { $0 >= images.count }) {
            throw TrainingError(
                description:
                    "saliency maps not made: image \(outside) is not in the \(request.split) split of \(images.count) images"
            )
        }
        let chosen = images.subset(request.indices)
        let loader = BatchLoader(
            images: chosen, batchSize: chosen.count, shuffle: false, seed: 0, augmentation: .none,
            normalization: normalization)
        var batch = loader.makeBatch()
        loader.load(BatchPosition(epoch: 0, batch: 0), order: loader.order(epoch: 0), into: &batch)
        let input = Tensor(shape: [chosen.count] + inputShape)
        batch.images.withUnsafeBufferPointer { input.data.update(from: $0.baseAddress!, count: input.count) }
        let labels = request.indices.map { Int(images.labels[$0]) }
        let saliency = self.saliency(for: input, classes: request.target == .trueClass ? labels : nil)
        let height = saliency.maps.shape[1], width = saliency.maps.shape[2], plane = height * width
        let maps = request.indices.indices.map { i in
            let values = saliency.maps.data + i * plane
            let largest = (0..<plane).reduce(Float(0)) { max($0, values[$1]) }
            return SaliencyMap(
                index: request.indices[i], label: saliency.classes[i], predictedLabel: saliency.predicted[i],
                height: height, width: width,
                values: (0..<plane).map { largest > 0 ? UInt8((values[$0] / largest * 255).rounded()) : 0 })
        }
        let method =
            switch saliency.method {
            case .gradCAM(let layer): "Grad-CAM of \(layer)"
            case .inputGradient: "input gradient"
            }
        return SaliencyMaps(split: request.split, step: step, target: request.target, method: method, maps: maps)
    }
}
