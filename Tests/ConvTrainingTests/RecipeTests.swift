import Foundation
import Testing
import ConvTraining

@Suite struct RecipeTests {
    /// Digits and characters change meaning when mirrored: the fast recipe neither trains nor
    /// evaluates on mirror images of them, and does both on clothes and colour photographs.
    @Test func theFastRecipeFlipsOnlyImagesThatMayBeMirrored() {
        let fashion = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)
        #expect(fashion.model == "resnet6" && fashion.augment == "flip" && fashion.testFlips == true)
        let digits = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: false)
        #expect(digits.augment == "none" && digits.testFlips == false)
        let photographs = Recipe.fast.configuration(channels: 3, allowsHorizontalFlip: true)
        #expect(photographs.model == "resnet9" && photographs.augment == "standard" && photographs.testFlips == true)
        let tutorial = Recipe.tutorial.configuration(channels: 3, allowsHorizontalFlip: true)
        #expect(tutorial.augment == "none" && tutorial.testFlips == false)
    }

    /// Checkpoints saved before `testFlips` existed still load, with test flips off.
    @Test func aConfigurationWithoutTestFlipsStillDecodes() throws {
        let current = Recipe.fast.configuration(channels: 1, allowsHorizontalFlip: true)
        var fields = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(current)) as? [String: Any])
        #expect(fields["testFlips"] as? Bool == true)
        fields["testFlips"] = nil
        let old = try JSONDecoder().decode(TrainingConfiguration.self,
                                           from: JSONSerialization.data(withJSONObject: fields))
        #expect(old.testFlips == nil)
        var expected = current
        expected.testFlips = nil
        #expect(old == expected)
    }
}
