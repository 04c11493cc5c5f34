import ConvEngine
import Testing

/// `Model.parameterLayers` and `Model.deadUnitFractions` on nets whose answers are known.
@Suite struct ModelLayerHealthTests {
    @Test func parametersAreGroupedByTheirLayer() {
        let model = ReferenceFixtureTests.bnnet(pool: ThreadPool(threads: 1))
        let layers = model.parameterLayers
        #expect(
            layers.map(\.name) == [
                "conv1", "bn1", "res1.conv1", "res1.bn1", "res1.conv2", "res1.bn2", "conv2", "bn2", "fc",
            ])
        #expect(layers.first { $0.name == "fc" }?.parameters.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(layers.flatMap(\.parameters).map(\.name) == model.namedParameters.map(\.name))
    }

    /// fc1's third unit has bias -10 and weights -1: no image of the batch turns it on. After the
    /// 2x2 max pool, conv's ReLU sees one value per channel: channel 1's weight is -1 on positive
    /// images, so it is dead, and channel 0 is alive.
    @Test func deadUnitsAreThoseNoImageTurnsOn() throws {
        let pool = ThreadPool(threads: 1)
        var generator = RandomGenerator(seed: 5)
        let model = Model(
            name: "dead", inputShape: [1, 2, 2],
            layers: [
                ("conv", Conv2d(1, 2, kernelSize: 1, bias: false, generator: &generator, pool: pool)),
                ("relu1", ReLU(pool: pool)), ("pool", MaxPool2d(kernelSize: 2, pool: pool)), ("flatten", Flatten()),
                ("fc1", Linear(2, 3, generator: &generator, pool: pool)), ("relu2", ReLU(pool: pool)),
            ])
        try model.load([
            "conv.weight": Tensor(shape: [2, 1, 1, 1], values: [1, -1]),
            "fc1.weight": Tensor(shape: [3, 2], values: [1, 0, 0.5, 1, -1, -1]),
            "fc1.bias": Tensor(shape: [3], values: [0, 0, -10]),
        ])
        _ = model.forward(Tensor(shape: [2, 1, 2, 2], values: [1, 2, 3, 4, 0.5, 0.25, 0.125, 1]), training: true)
        let fractions = model.deadUnitFractions()
        #expect(fractions.map(\.name) == ["relu1", "relu2"])
        #expect(fractions.map(\.fraction) == [0.5, Float(1) / 3])
    }

    @Test func batchNormWithAFusedReLUCountsItsUnits() throws {
        let pool = ThreadPool(threads: 1)
        let network = try NetworkFile(
            text: "conv1: conv 2 kernel=1 bias=false\nbn1: batchnorm\nrelu\nflatten\nfc: linear classes\n", file: "t",
            name: "t"
        ).resolve(inputShape: [1, 1, 3], classes: 2)
        let model = Model(network: network, seed: 1, pool: pool)
        // Channel 0 passes the image, channel 1 its negative; in evaluation mode batch norm is the
        // identity (mean 0, variance 1, up to eps), so channel 1 is dead where every image is positive.
        try model.load(
            model.stateDict.reduce(into: [String: Tensor]()) { $0[$1.name] = $1.value }.merging([
                "conv1.weight": Tensor(shape: [2, 1, 1, 1], values: [1, -1])
            ]) { _, new in new })
        _ = model.forward(Tensor(shape: [2, 1, 1, 3], values: [1, 2, -3, 4, 5, -6]), training: false)
        let fractions = model.deadUnitFractions()
        #expect(fractions.map(\.name) == ["bn1"])
        // Units: channel 0 at x = 0, 1, 2 and channel 1 at x = 0, 1, 2. Channel 0's x = 2 is negative
        // in both images; channel 1's x = 0 and 1 are negative in both.
        #expect(fractions.map(\.fraction) == [0.5])
    }
}
