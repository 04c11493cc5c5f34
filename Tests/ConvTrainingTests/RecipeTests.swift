import ConvData
import ConvEngine
import ConvTraining
import Foundation
import Testing

@Suite struct RecipeTests {
    /// Digits and characters change meaning when mirrored: the fast recipe neither trains nor
    /// evaluates on mirror images of them, and does both on clothes and colour photographs.
    @Test func theFastRecipeFlipsOnlyImagesThatMayBeMirrored() {
        let fashion = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)
        #expect(fashion.model == .preset(.resnet6) && fashion.augment == .flip && fashion.testFlips == true)
        // Shifts suit a model trained on crops: the colour recipe's, not Fashion-MNIST's flips alone.
        #expect(fashion.testShifts == false)
        let digits = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: false)
        #expect(digits.augment == AugmentationMode.none && digits.testFlips == false)
        let photographs = Recipe.fast.configuration(channels: 3, allowsHorizontalFlip: true)
        #expect(
            photographs.model == .preset(.resnet9) && photographs.augment == .standard && photographs.testFlips == true
                && photographs.testShifts == true)
        let tutorial = Recipe.tutorial.configuration(channels: 3, allowsHorizontalFlip: true)
        #expect(tutorial.augment == AugmentationMode.none && tutorial.testFlips == false)
    }

    /// Checkpoints saved before `testFlips` existed still load, with test flips off.
    @Test func aConfigurationWithoutTestFlipsStillDecodes() throws {
        let current = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)
        var fields = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(current)) as? [String: Any])
        #expect(fields["testFlips"] as? Bool == true)
        fields["testFlips"] = nil
        let old = try JSONDecoder().decode(
            TrainingConfiguration.self,
            from: JSONSerialization.data(withJSONObject: fields))
        #expect(old.testFlips == nil)
        var expected = current
        expected.testFlips = nil
        #expect(old == expected)
    }

    /// A checkpoint's `run.configuration` as convtop writes it (the fast recipe on Fashion-MNIST):
    /// the preset and the augmentation are stored by name, and checkpoints on disk must keep loading.
    static let savedConfiguration = """
        {"augment":"flip","batchSize":128,"epochs":4,"labelSmoothing":0,"learningRate":0.1,\
        "misclassifiedLimit":10000,"model":"resnet6","momentum":0.9,"nesterov":true,"optimizer":"sgd",\
        "sampleCount":32,"saveEvery":0,"schedule":"onecycle","seed":0,"testFlips":true,"validationSplit":0,\
        "warmupEpochs":0,"weightDecay":0.0005}
        """

    @Test func aSavedConfigurationDecodesToTheSameSettings() throws {
        let saved = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(Self.savedConfiguration.utf8))
        var fast = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)
        // Saved before test shifts existed: nil, which evaluates as off, like the recipe's false here.
        #expect(saved.testShifts == nil && fast.testShifts == false)
        fast.testShifts = nil
        // And when the recipe ran 4 epochs on grey images with an evaluation after each (nil).
        #expect(saved.epochs == 4 && saved.evaluateEvery == nil && fast.evaluateEvery == 5)
        fast.epochs = 4
        fast.evaluateEvery = nil
        #expect(saved == fast)
        #expect(saved.model == .preset(.resnet6) && saved.augment == .flip)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let fields = try #require(JSONSerialization.jsonObject(with: encoder.encode(saved)) as? [String: Any])
        #expect(fields["model"] as? String == "resnet6" && fields["augment"] as? String == "flip")
    }

    /// A name that is no preset is a network file's path: it decodes, and loading it says what is missing.
    @Test func aConfigurationNamingAnUnknownModelFailsToLoadIt() throws {
        let alexnet = Self.savedConfiguration.replacingOccurrences(of: "\"resnet6\"", with: "\"alexnet\"")
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(alexnet.utf8))
        #expect(configuration.model == .file("alexnet"))
        #expect(throws: NetworkError.self) { try configuration.model.load() }
    }
}
