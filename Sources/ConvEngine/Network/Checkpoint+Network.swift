extension Checkpoint {
    /// The network the checkpoint's tensors belong to, fitted to its input shape and classes: the
    /// network file it stores, or for a checkpoint from before network files, its preset.
    public func network() throws -> ResolvedNetwork {
        let file: NetworkFile
        if let text = metadata.network {
            file = try NetworkFile(text: text, file: "\(self.file) (its network)", name: metadata.model)
        } else if let preset = ModelPreset(rawValue: metadata.model) {
            file = preset.network
        } else {
            throw CheckpointError(
                file: self.file, problem: "__metadata__ has no \"network\", and \(metadata.model) is no preset")
        }
        return try file.resolve(inputShape: metadata.inputShape, classes: metadata.classes)
    }
}
