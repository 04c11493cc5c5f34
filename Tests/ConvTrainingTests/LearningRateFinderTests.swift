import ConvProtocol
import ConvTraining
import Foundation
import Testing

@Suite struct LearningRateFinderTests {
    /// Flat with a little noise, a straight descent from step 30 to 70, then a steep rise.
    static let curve: [Double] = (0..<100).map { i in
        if i < 30 { return 2.3 + 0.01 * sin(Double(i)) }
        if i < 70 { return 2.3 - 1.8 * Double(i - 30) / 40 }
        return 0.5 + 0.05 * pow(Double(i - 70), 1.5)
    }

    static func rates(_ count: Int) -> [Double] {
        var finder = LearningRateFinder(step: 0, steps: count)
        var rates: [Double] = []
        while let rate = finder.nextRate {
            rates.append(rate)
            finder.record(loss: 1)
        }
        return rates
    }

    @Test func theSweepRisesByOneFactorFromTheStartRateToTheEndRate() {
        let rates = Self.rates(100)
        #expect(rates.count == 100)
        #expect(rates.first == 1e-7)
        #expect(abs(rates.last! - 10) < 1e-12)
        let ratios = zip(rates.dropFirst(), rates).map { $0 / $1 }
        #expect(ratios.allSatisfy { abs($0 - pow(1e8, 1.0 / 99)) < 1e-9 })
    }

    /// The values fastai's `valley` and Lightning's `suggestion()` (torch.gradient) give on the
    /// same curve and rates (fastai's valley code and torch.gradient, run in Python on this curve).
    @Test func theSuggestionsAreFastaisValleyAndLightningsSteepestDescent() throws {
        let rates = Self.rates(100)
        let valley = try #require(LearningRateFinder.valley(rates: rates, losses: Self.curve, steps: 100))
        #expect(abs(valley / 0.000_521_400_826_983_153_8 - 1) < 1e-6)
        // Lightning differentiates by the rate itself, so the noise at the smallest rates wins.
        let steepest = try #require(LearningRateFinder.steepest(rates: rates, losses: Self.curve))
        #expect(abs(steepest / 6.428_073_117_284_32e-07 - 1) < 1e-9)
        #expect((30..<70).contains(rates.firstIndex(of: valley)!))
    }

    @Test func aValleyNeedsPointsLeftAfterTheSkippedEnds() {
        let rates = Self.rates(20)
        #expect(
            LearningRateFinder.valley(rates: Array(rates.prefix(7)), losses: Array(Self.curve.prefix(7)), steps: 20)
                == nil)
        #expect(
            LearningRateFinder.steepest(rates: Array(rates.prefix(11)), losses: Array(Self.curve.prefix(11))) == nil)
        // A loss that is not a number ends the curve the valley reads.
        var losses = Array(Self.curve.prefix(20))
        losses[2] = .nan
        #expect(LearningRateFinder.valley(rates: rates, losses: losses, steps: 20) == nil)
        losses = Array(repeating: 1, count: 20)
        losses[9] = .nan
        losses[12] = 0.5
        #expect(LearningRateFinder.valley(rates: rates, losses: losses, steps: 20) == rates[2])
    }

    @Test func theSmoothedLossIsTheDebiasedAverageAndTheSweepStopsAtFourTimesItsMinimum() {
        var finder = LearningRateFinder(step: 12, steps: 100)
        // A constant loss smooths to itself from the first batch: the average is debiased.
        for _ in 0..<5 { #expect(abs(finder.record(loss: 2).smoothedLoss - 2) < 1e-6) }
        var raw: [Double] = [2, 2, 2, 2, 2]
        var steps = 5
        while finder.nextRate != nil {
            raw.append(raw.last! * 1.5)
            finder.record(loss: Float(raw.last!))
            steps += 1
        }
        // The same average written out: it passes 8 (4 x the minimum, 2) exactly where the sweep stopped.
        func smoothed(_ n: Int) -> Double {
            var a = 0.0
            for loss in raw.prefix(n) { a = 0.98 * a + 0.02 * loss }
            return a / (1 - pow(0.98, Double(n)))
        }
        #expect(finder.diverged)
        #expect(smoothed(steps) > 8 && smoothed(steps - 1) <= 8)
        #expect(abs(Double(finder.probes.last!.smoothedLoss) / smoothed(steps) - 1) < 1e-5)
        #expect(finder.probes.allSatisfy { $0.step == 12 })
        #expect(finder.probes.map(\.index) == Array(0..<steps))
        let finding = finder.finding
        #expect(finding.probes == steps && finding.diverged && finding.step == 12)
    }

    @Test func aLossThatIsNotANumberEndsTheSweep() {
        var finder = LearningRateFinder(step: 0, steps: 50)
        finder.record(loss: 2)
        finder.record(loss: .nan)
        #expect(finder.diverged && finder.nextRate == nil && finder.finding.probes == 2)
    }
}
