extension Model {
    /// Builds the engine's layers for `network`, initialised like PyTorch's defaults from one
    /// generator seeded with `seed`, drawn in the order the layers appear in the file.
    ///
    /// A `batchnorm` directly followed by `relu` becomes one `BatchNorm2d` with the ReLU fused in:
    /// the same values, one pass over memory fewer each way; a 2x2 `maxpool` right after goes in
    /// too where the maps suit it (`BatchNorm2d.takesMaxPool`).
    public convenience init(network: ResolvedNetwork, seed: UInt64, pool: ThreadPool) {
        var builder = NetworkBuilder(generator: RandomGenerator(seed: seed), pool: pool)
        self.init(
            name: network.name, inputShape: network.inputShape, layers: builder.layers(network.layers),
            architecture: network)
    }
}

/// Turns resolved layers into engine layers.
private struct NetworkBuilder {
    var generator: RandomGenerator
    let pool: ThreadPool

    mutating func layers(_ resolved: [ResolvedLayer]) -> [(name: String, layer: any Layer)] {
        var result: [(name: String, layer: any Layer)] = []
        var index = resolved.startIndex
        while index < resolved.endIndex {
            let entry = resolved[index]
            index += 1
            let layer: any Layer
            switch entry.operation {
            case .conv(let c):
                layer = Conv2d(
                    c.inChannels, c.outChannels, kernelSize: c.kernel, stride: c.stride, padding: c.padding,
                    bias: c.bias, generator: &generator, pool: pool)
            case .linear(let inFeatures, let outFeatures):
                layer = Linear(inFeatures, outFeatures, generator: &generator, pool: pool)
            case .batchNorm(let channels):
                let fused = ResolvedLayer.layersRunInside(resolved, at: index - 1)
                index += fused
                layer = BatchNorm2d(channels, relu: fused >= 1, maxPool: fused == 2, pool: pool)
            case .relu: layer = ReLU(pool: pool)
            case .maxPool(let kernel, let stride): layer = MaxPool2d(kernelSize: kernel, stride: stride, pool: pool)
            case .avgPool(let kernel, let stride): layer = AvgPool2d(kernelSize: kernel, stride: stride, pool: pool)
            case .globalAvgPool: layer = GlobalAvgPool()
            case .dropout(let probability): layer = Dropout(probability: probability, generator: generator.split())
            case .flatten: layer = Flatten()
            case .residual(let body, let shortcut):
                let bodyLayers = Sequential(layers(body))
                layer = Residual(body: bodyLayers, shortcut: shortcut.map { Sequential(layers($0)) }, pool: pool)
            case .repeat(let passes):
                layer = Sequential(passes.enumerated().map { pass, body in (String(pass), Sequential(layers(body))) })
            }
            result.append((entry.name, layer))
        }
        return result
    }
}
