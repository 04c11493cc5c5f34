import ConvEngine
import Foundation
import Testing

/// Grad-CAM and input-gradient saliency against PyTorch (Tests/Reference/make_gradcam.py) and on
/// nets built by hand whose maps are known.
@Suite struct SaliencyTests {
    /// make_gradcam.py's nets, each with the network file of its twin.
    static let nets: [(prefix: String, text: String, input: [Int], method: Saliency.Method)] = [
        (
            "resnet",
            // resnet9 at width 2: its 16, 32, 64 and 128 channels divided by 8.
            [16, 32, 64, 128].reduce(ModelPreset.resnet9.text) {
                $0.replacingOccurrences(of: "conv \($1) kernel", with: "conv \($1 / 8) kernel")
            }, [3, 16, 16], .gradCAM(layer: "res2.conv2")
        ),
        ("lenet", ModelPreset.lenet.text, [1, 28, 28], .gradCAM(layer: "conv2")),
        ("mlp", "flatten: flatten\nfc1: linear 12\nrelu\nfc2: linear classes\n", [1, 6, 6], .inputGradient),
    ]

    @Test(arguments: [0, 1, 2], [1, 2])
    func mapsMatchPyTorch(net: Int, threads: Int) throws {
        let (prefix, text, input, method) = Self.nets[net]
        let fixture = try ReferenceFixture(named: "gradcam")
        let network = try NetworkFile(text: text, file: prefix, name: prefix).resolve(inputShape: input, classes: 10)
        let model = Model(network: network, seed: 1, pool: ThreadPool(threads: threads))
        try model.load(
            fixture.tensors(prefixed: "\(prefix).param.").merging(fixture.tensors(prefixed: "\(prefix).buffer.")) {
                a, _ in a
            })
        let images = try fixture.tensor("\(prefix).input")
        let labels = try #require(fixture.integers["\(prefix).labels"])

        let predicted = model.saliency(for: images)
        #expect(predicted.method == method)
        #expect(predicted.predicted == fixture.integers["\(prefix).predicted"])
        #expect(predicted.classes == predicted.predicted)
        let explained = model.saliency(for: images, classes: labels)
        #expect(explained.classes == labels)
        for (maps, name) in [(predicted.maps, "maps_predicted"), (explained.maps, "maps_labels")] {
            let expected = try fixture.tensor("\(prefix).\(name)")
            let largest = (0..<expected.count).reduce(Float(0)) { max($0, expected[$1]) }
            #expect(largest > 0, "\(prefix).\(name) is all zero: the comparison would prove nothing")
            // Within 1e-4 of the map's scale: the maps' values are small (the largest is about 0.002
            // for lenet), so an absolute bound would pass nearly anything.
            let failure = mismatch("\(prefix) \(name)", actual: maps, expected: expected, atol: 1e-4 * largest, rtol: 0)
            #expect(failure == nil, "\(failure ?? "")")
        }
    }

    /// A 1x1 convolution with weights 1 and -2 makes channels x and -2x; global average pooling and
    /// an identity linear layer make logit k the mean of channel k. Each channel's weight is then
    /// 1/(H*W) for its own class, so class 0's map is ReLU(x)/(H*W) and class 1's is ReLU(-2x)/(H*W),
    /// the image's negative pixels: at the convolution's size, with nothing to interpolate.
    @Test func handBuiltNetLooksWhereItsClassIs() throws {
        let pool = ThreadPool(threads: 1)
        var generator = RandomGenerator(seed: 3)
        let conv = Conv2d(1, 2, kernelSize: 1, bias: false, generator: &generator, pool: pool)
        let linear = Linear(2, 2, generator: &generator, pool: pool)
        let model = Model(
            name: "hand", inputShape: [1, 3, 4],
            layers: [("conv", conv), ("gap", GlobalAvgPool()), ("fc", linear)])
        try model.load([
            "conv.weight": Tensor(shape: [2, 1, 1, 1], values: [1, -2]),
            "fc.weight": Tensor(shape: [2, 2], values: [1, 0, 0, 1]), "fc.bias": Tensor(shape: [2], values: [0, 0]),
        ])
        let pixels: [Float] = [3, -1, 0, 2, -4, 1, 5, 0, -2, 1, 1, 6]
        let image = Tensor(shape: [1, 1, 3, 4], values: pixels)
        let positive = model.saliency(for: image, classes: [0])
        let negative = model.saliency(for: image, classes: [1])
        #expect(positive.method == .gradCAM(layer: "conv"))
        #expect(Self.close(positive.maps.values, pixels.map { max($0, 0) / 12 }))
        #expect(Self.close(negative.maps.values, pixels.map { max(-2 * $0, 0) / 12 }))
        // The pixels sum to 12, so logit 0 is 1 and logit 1 is -2.
        #expect(positive.predicted == [0])
    }

    /// A linear model's logit gradient with respect to the image is its weight row, so the
    /// input-gradient map is the row's absolute values, largest over the channels.
    @Test func netWithoutConvolutionGivesInputGradient() throws {
        let pool = ThreadPool(threads: 1)
        var generator = RandomGenerator(seed: 3)
        let model = Model(
            name: "linear", inputShape: [2, 1, 2],
            layers: [("flatten", Flatten()), ("fc", Linear(4, 2, generator: &generator, pool: pool))])
        try model.load([
            "fc.weight": Tensor(shape: [2, 4], values: [1, -3, 2, 0.5, -1, 0, 0, 4]),
            "fc.bias": Tensor(shape: [2], values: [0, 0]),
        ])
        let image = Tensor(shape: [1, 2, 1, 2], values: [1, 1, 1, 1])
        let saliency = model.saliency(for: image, classes: [0])
        #expect(saliency.method == .inputGradient)
        #expect(saliency.maps.shape == [1, 1, 2])
        // Channel 0 has weights 1, -3 and channel 1 has 2, 0.5 on the two pixels.
        #expect(saliency.maps.values == [2, 3])
        #expect(model.saliency(for: image, classes: [1]).maps.values == [1, 4])
    }

    /// Whether the two lists are equal within float rounding of sums of a dozen terms.
    static func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 }
    }
}
