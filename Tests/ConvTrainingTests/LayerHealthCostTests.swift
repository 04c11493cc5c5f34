import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// What layer-health sampling costs, measured side by side: the same resnet9 run on random CIFAR-
/// sized images with a sample at every step and with none, alternated so that a busy machine
/// slows both alike. Opt-in (`CONVTOP_MEASURE_LAYER_HEALTH=1`): it trains for a few minutes.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONVTOP_MEASURE_LAYER_HEALTH"] != nil))
struct LayerHealthCostTests {
    static let steps = 16, rounds = 3

    /// Seconds per step, pauses excluded, of a run of `steps` steps sampling every `interval`.
    static func secondsPerStep(interval: Int) -> Double {
        let count = 128 * steps, shape = ImageDimensions(channels: 3, height: 32, width: 32)
        let images = ImageSet(
            dimensions: shape,
            pixels: (0..<(count * 3072)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) },
            labels: (0..<count).map { Int32($0 % 10) })
        let dataset = Dataset(
            name: "random", folder: "/generated/random", format: .cifar10Binary, classNames: (0..<10).map { "c\($0)" },
            train: images, test: .empty(shape), allowsHorizontalFlip: false)
        var setup = TrainingSetup(
            configuration: TrainingConfiguration(
                model: .preset(.resnet9), epochs: 1, batchSize: 128, optimizer: .sgd, learningRate: 0.05,
                momentum: 0.9, augment: .none, normalize: "0.5,0.25", seed: 1),
            dataset: dataset, runFolder: nil, threads: 2)
        setup.layerHealthInterval = interval
        let session = TrainingSession(setup: setup)
        var log = EventLog(channel: session.channel)
        session.start()
        _ = log.waitForEnd(timeout: 1200)
        session.wait()
        // The first step warms buffers and caches up; time the rest.
        let steps = log.steps
        guard let first = steps.first, let last = steps.last, last.step > first.step else { return .nan }
        return (last.elapsed - first.elapsed) / Double(last.step - first.step)
    }

    @Test func sampledEveryDefaultIntervalItCostsUnderOnePercent() {
        var on: [Double] = [], off: [Double] = []
        for _ in 0..<Self.rounds {
            on.append(Self.secondsPerStep(interval: 1))
            off.append(Self.secondsPerStep(interval: 0))
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        let perSample = median(on) - median(off)
        let interval = TrainingSetup(
            configuration: TrainingSessionTests.configuration(), dataset: StripesDataset.dataset(), runFolder: nil,
            threads: 1
        ).layerHealthInterval
        let share = perSample / Double(interval) / median(off)
        print(
            "layer health: \(String(format: "%.4f", median(on))) s/step sampling every step, "
                + "\(String(format: "%.4f", median(off))) s/step without (each the median of \(Self.rounds) runs of "
                + "\(Self.steps) steps: on \(on), off \(off)); a sample costs \(String(format: "%.2f", perSample * 1000)) ms, "
                + "\(String(format: "%.3f", share * 100))% of training time every \(interval) steps")
        #expect(share < 0.01)
    }
}
