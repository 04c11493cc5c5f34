import ConvEngine
import Testing

@Suite struct NetworkSummaryTests {
    /// LeNet on 3x32x32 by hand: conv1 3*6*25 + 6, conv2 6*16*25 + 16, fc1 16*5*5*120 + 120,
    /// fc2 120*84 + 84, fc3 84*10 + 10 parameters; multiply-adds 6*28*28 * 3*25, 16*10*10 * 6*25,
    /// then the three weight matrices.
    @Test func lenetCountsMatchTheHandComputedOnes() throws {
        let network = try ModelPreset.lenet.resolve(input: (3, 32, 32), classes: 10)
        let summary = NetworkSummary(network)
        #expect(summary.rows.map(\.parameters) == [456, 0, 0, 2416, 0, 0, 0, 48120, 0, 10164, 0, 850])
        #expect(network.parameterCount == 456 + 2416 + 48120 + 10164 + 850)
        #expect(network.multiplyAdds == 6 * 28 * 28 * 3 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10)
        #expect(
            summary.rows.map(\.outputShape)[0...5] == [
                [6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5],
            ])
        let outputs = 2 * (6 * 28 * 28) + 6 * 14 * 14 + 2 * (16 * 10 * 10) + 16 * 5 * 5 + 400 + 2 * 120 + 2 * 84 + 10
        let memory = summary.memory(batch: 8)
        #expect(memory.input == 4 * 8 * 3 * 32 * 32)
        #expect(memory.activations == 2 * 4 * 8 * outputs)
        #expect(memory.parameters == 4 * 62006)
        let lines = summary.lines(batch: 8)
        #expect(lines.contains("Total parameters: 62,006"))
        #expect(
            lines.contains {
                $0.hasPrefix("conv1: conv 3->6 5x5") && $0.hasSuffix("6x28x28      456    352,800  direct")
            })
    }

    @Test func blocksSumTheirLayersAndFusedReLUsSayWhereTheyRun() throws {
        let network = try NetworkFile(
            text: """
                stage: repeat 2 {
                    res: residual {
                        conv: conv 4 kernel=3 padding=same bias=false
                        bn: batchnorm
                        relu
                    }
                }
                globalavgpool
                fc: linear classes
                """, file: "t.net", name: "t"
        ).resolve(inputShape: [4, 6, 6], classes: 3)
        let summary = NetworkSummary(network)
        #expect(
            summary.rows.map(\.name) == [
                "stage", "0", "res", "conv", "bn", "2", "1", "res", "conv", "bn", "2", "1", "fc",
            ])
        #expect(summary.rows.map(\.depth) == [0, 1, 2, 3, 3, 3, 1, 2, 3, 3, 3, 0, 0])
        let block = 4 * 4 * 9 + 8
        #expect(summary.rows[0].parameters == 2 * block)
        #expect(summary.rows[1].parameters == block)
        #expect(summary.rows[0].multiplyAdds == 2 * 4 * 36 * 4 * 9)
        #expect(summary.rows[5].algorithm == "in bn")
        #expect(summary.rows[0].layer == "repeat 2")
    }

    /// `convnet5` on CIFAR's shape: the pools on 32x32 and 16x16 maps run inside the batch norms
    /// before them, the one on 8x8 maps (64 values, normalised image by image) on its own; the
    /// built model has the layers the summary says, and a fused batch norm keeps the pooled map.
    @Test func maxPoolsSayWhetherTheyRunInTheirBatchNorm() throws {
        let network = try ModelPreset.convnet5.resolve(input: (3, 32, 32), classes: 10)
        let summary = NetworkSummary(network)
        let algorithms = Dictionary(uniqueKeysWithValues: summary.rows.map { ($0.name, $0.algorithm) })
        #expect(algorithms["pool1"] == "in bn2")
        #expect(algorithms["pool2"] == "in bn4")
        #expect(algorithms["pool3"] == "")
        let model = Model(network: network, seed: 1, pool: ThreadPool(threads: 1))
        #expect(
            model.network.layers.map(\.name) == [
                "conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "conv4", "bn4", "conv5", "bn5", "pool3", "flatten",
                "fc",
            ])
        #expect(model.network.layers[3].layer.summary == "BatchNorm2d(32) + ReLU + MaxPool2d(k2 s2)")
        #expect(model.network.layers[9].layer.summary == "BatchNorm2d(128) + ReLU")
        let output = model.forward(Tensor(shape: [2, 3, 32, 32]), training: false)
        #expect(output.shape == [2, 10])
        // conv1, bn1, conv2 and bn2's pooled map; conv3, bn3, conv4, bn4's pooled map; conv5, bn5,
        // pool3; flatten and fc.
        let stored =
            3 * 32 * 32 * 32 + 32 * 16 * 16 + 3 * 64 * 16 * 16 + 64 * 8 * 8 + 2 * 128 * 8 * 8 + 128 * 4 * 4 + 2048 + 10
        #expect(summary.memory(batch: 1).activations == 2 * 4 * stored)
    }

    /// The engine's model has exactly the tensors the resolved network lists, so summaries,
    /// exports and checkpoints agree on names.
    @Test func builtModelHasTheResolvedNetworksTensors() throws {
        let network = try NetworkFile(
            text: """
                stem: conv 8 kernel=3 padding=same bias=false
                bn: batchnorm
                relu
                stage: repeat 2 {
                    block: residual {
                        conv: conv 16 kernel=3 padding=same bias=false
                        bn: batchnorm
                        shortcut {
                            conv 16 kernel=1
                        }
                    }
                    relu
                }
                pool: avgpool 2
                drop: dropout 0.25
                flatten
                fc: linear classes
                """, file: "t.net", name: "t"
        ).resolve(inputShape: [3, 8, 8], classes: 5)
        let model = Model(network: network, seed: 1, pool: ThreadPool(threads: 1))
        #expect(model.namedParameters.map(\.name) == network.parameterShapes.map(\.name))
        #expect(model.namedParameters.map(\.value.shape) == network.parameterShapes.map(\.shape))
        #expect(model.namedBuffers.map(\.name) == network.bufferShapes.map(\.name))
        #expect(model.parameterCount == network.parameterCount)
        let x = Tensor(shape: [2, 3, 8, 8], values: (0..<(2 * 3 * 64)).map { Float($0 % 7) / 7 })
        #expect(model.forward(x, training: true).shape == [2, 5])
        #expect(model.architecture?.file.text == network.file.text)
    }
}

@Suite struct NetworkSummaryAlgorithmTests {
    /// The summary names the algorithm the engine's own layers then run.
    @Test(arguments: [ModelPreset.lenet, .resnet9, .resnet6])
    func algorithmsAreThoseTheBuiltLayersRun(preset: ModelPreset) throws {
        let network = try preset.resolve(input: (3, 32, 32), classes: 10)
        let model = Model(network: network, seed: 0, pool: ThreadPool(threads: 1))
        let summary = NetworkSummary(network)
        var checked = 0
        for (layer, row) in zip(network.layers, summary.rows.filter { $0.depth == 0 }) {
            guard let conv = model.network.layers.first(where: { $0.name == layer.name })?.layer as? Conv2d else {
                continue
            }
            #expect(row.algorithm == conv.algorithm(for: layer.inputShape).description, "\(layer.name)")
            checked += 1
        }
        #expect(checked >= 2)
    }
}
