import ConvEngine
import Testing

@Suite struct ModelBenchmarkTests {
    /// `convtop bench --only layers`: one record per layer in the order the layers run (LeNet's
    /// ReLUs after their pools), with times and shares that add up.
    @Test func layerTimesFollowTheRunOrder() throws {
        let records = ModelBenchmark(preset: .lenet, batch: 4).layerTimes(pool: ThreadPool(threads: 1), seconds: 0.01)
        let names = records.compactMap { record -> String? in
            if case .string(let name) = record.fields.first(where: { $0.key == "layer" })?.value { name } else { nil }
        }
        #expect(
            names == [
                "conv1", "pool1", "relu1", "conv2", "pool2", "relu2", "flatten", "fc1", "relu3", "fc2",
                "relu4", "fc3",
            ])
        let numbers = { (key: String) in
            records.compactMap { record -> Double? in
                if case .number(let value) = record.fields.first(where: { $0.key == key })?.value { value } else { nil }
            }
        }
        let forward = numbers("forward_us"), backward = numbers("backward_us"), shares = numbers("share_percent")
        #expect(forward.count == names.count && backward.count == names.count)
        #expect(forward.allSatisfy { $0 >= 0 } && backward.allSatisfy { $0 >= 0 })
        // The convolutions do most of the work.
        #expect(forward[0] + backward[0] > forward[6] + backward[6])
        #expect(abs(shares.reduce(0, +) - 100) < 0.01)
    }

    /// Layers that convolve name their algorithm; a residual block names each of its convolutions.
    @Test func layerRecordsNameTheAlgorithms() {
        let records = ModelBenchmark(preset: .resnet6, batch: 2, input: (1, 28, 28))
            .layerTimes(pool: ThreadPool(threads: 1), seconds: 0.01)
        let algorithms = Dictionary(
            uniqueKeysWithValues: records.compactMap { record -> (String, String)? in
                guard case .string(let layer) = record.fields.first(where: { $0.key == "layer" })?.value,
                    case .string(let algorithm) = record.fields.first(where: { $0.key == "algorithm" })?.value
                else { return nil }
                return (layer, algorithm)
            })
        #expect(
            algorithms == [
                "conv1": "implicit-gemm", "conv2": "winograd", "conv3": "winograd",
                "res1": "conv1 winograd, conv2 winograd",
            ])
    }

    /// `convtop bench --input 1x28x28`: the preset is built for that shape (its first convolution
    /// takes one channel, its classifier the 28x28 geometry) and both figures come out.
    @Test func measuresOnTheGivenImageShape() {
        let records = ModelBenchmark(preset: .resnet6, batch: 2, input: (1, 28, 28))
            .measure(pool: ThreadPool(threads: 1), seconds: 0.01)
        let rates = records.compactMap { record -> Double? in
            if case .number(let value) = record.fields.first(where: { $0.key == "images_per_second" })?.value {
                value
            } else {
                nil
            }
        }
        #expect(rates.count == 2)
        #expect(rates.allSatisfy { $0 > 0 })
    }
}
