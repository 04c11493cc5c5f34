import ConvData
import ConvEngine
import ConvProtocol
import ConvTraining
import Foundation
import Testing

/// The session's layer-health samples and saliency answers, on the stripes LeNet.
@Suite struct LayerHealthMonitorTests {
    static func session(interval: Int, folder: URL? = nil, epochs: Int = 50) -> TrainingSession {
        var setup = TrainingSetup(
            configuration: TrainingSessionTests.configuration(epochs: epochs), dataset: StripesDataset.dataset(),
            runFolder: folder.map(RunFolder.init), threads: 1)
        setup.layerHealthInterval = interval
        return TrainingSession(setup: setup)
    }

    @Test func samplesEveryIntervalWithTheModelsOwnNumbers() throws {
        let session = Self.session(interval: 5)
        var log = EventLog(channel: session.channel)
        session.start()
        log.wait(for: "three samples") { if case .layerHealth(let h) = $0 { h.step >= 11 } else { false } }
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
        let samples = log.events.compactMap { if case .layerHealth(let h) = $0 { h } else { nil } }
        #expect(Array(samples.map(\.step).prefix(3)) == [1, 6, 11])
        let first = try #require(samples.first)
        #expect(first.layers.map(\.name) == ["conv1", "conv2", "fc1", "fc2", "fc3"])
        #expect(first.activations.map(\.name) == ["relu1", "relu2", "relu3", "relu4"])
        // Step 1 starts from the untrained model, which the seed rebuilds.
        let model = ModelPreset.lenet.build(input: (1, 16, 16), classes: 3, seed: 7, pool: ThreadPool(threads: 1))
        for (statistics, layer) in zip(first.layers, model.parameterLayers) {
            let norm = layer.parameters.reduce(0.0) { sum, p in
                sum + (0..<p.value.count).reduce(0.0) { $0 + Double(p.value[$1]) * Double(p.value[$1]) }
            }.squareRoot()
            #expect(abs(statistics.weightNorm - norm) <= 1e-5 * norm, "\(statistics.name)")
            // SGD's first step with momentum moves the weights by lr x gradient (no weight decay).
            let lr = try #require(log.steps.first { $0.step == 1 }?.learningRate)
            let moved = statistics.updateRatio * statistics.weightNorm
            #expect(abs(moved - lr * statistics.gradientNorm) <= 1e-3 * moved, "\(statistics.name)")
            #expect(statistics.condition == .learning, "\(statistics.name): \(statistics.updateRatio)")
        }
        for activation in first.activations { #expect((0...1).contains(activation.deadFraction)) }
    }

    @Test func noIntervalTakesNoSample() {
        let session = Self.session(interval: 0, epochs: 1)
        var log = EventLog(channel: session.channel)
        session.start()
        _ = log.waitForEnd()
        session.wait()
        #expect(!log.events.contains { $0.journalType == "layer_health" })
    }

    @Test func aPausedSessionAnswersSaliencyRequests() throws {
        let session = Self.session(interval: 0)
        var log = EventLog(channel: session.channel)
        session.channel.send(.pause)
        session.channel.send(.explain(SaliencyRequest(split: .test, indices: [0, 59], target: .trueClass)))
        session.channel.send(.explain(SaliencyRequest(split: .test, indices: [60], target: .predicted)))
        session.start()
        guard case .saliency(let answer)? = log.wait(for: "saliency", { $0.journalType == "saliency" }) else { return }
        #expect(answer.method == "Grad-CAM of conv2" && answer.target == .trueClass && answer.step == 0)
        let labels = StripesDataset.dataset().test.labels
        #expect(answer.maps.map(\.index) == [0, 59])
        #expect(answer.maps.map(\.label) == [Int(labels[0]), Int(labels[59])])
        for map in answer.maps {
            #expect(map.height == 16 && map.width == 16 && map.values.count == 256)
            #expect(map.values.max() == 255 || map.values.allSatisfy { $0 == 0 })
            #expect((0..<3).contains(map.predictedLabel))
        }
        guard case .warning(let text)? = log.wait(for: "the refusal", { $0.journalType == "warning" }) else { return }
        #expect(text == "saliency maps not made: image 60 is not in the test split of 60 images")
        session.channel.send(.stop)
        _ = log.waitForEnd()
        session.wait()
    }

    /// Saliency maps run the model in evaluation mode and leave batch-norm statistics, dropout and
    /// the data order alone; the gradients they leave are zeroed by the next step.
    @Test func answeringRequestsLeavesTrainingBitForBitTheSame() throws {
        let plain = temporaryFolder(), asked = temporaryFolder()
        defer { for f in [plain, asked] { try? FileManager.default.removeItem(at: f) } }
        func run(_ session: TrainingSession, asking: Bool) -> FinalResult? {
            var log = EventLog(channel: session.channel)
            if asking {
                session.channel.send(.explain(SaliencyRequest(split: .test, indices: [1, 2, 3], target: .predicted)))
                session.channel.send(
                    .explain(SaliencyRequest(split: .test, indices: [4], target: .trueClass)), afterStep: 10)
            }
            session.start()
            defer { session.wait() }
            let result = log.waitForEnd()
            if asking {
                let answered = log.events.compactMap { if case .saliency(let s) = $0 { s.step } else { nil } }
                #expect(answered == [0, 10])
            }
            return result
        }
        let a = run(Self.session(interval: 3, folder: plain, epochs: 2), asking: false)
        let b = run(Self.session(interval: 3, folder: asked, epochs: 2), asking: true)
        let first = try TrainingCheckpoint.read(from: try #require(a?.checkpointPath))
        let second = try TrainingCheckpoint.read(from: try #require(b?.checkpointPath))
        let differing = first.tensors.keys.sorted().filter { first.tensors[$0] != second.tensors[$0] }
        #expect(first.tensors.count > 0 && differing.isEmpty, "tensors that differ: \(differing)")
    }
}
