import Foundation

/// Round values to label an axis with: multiples of a step of 1, 2 or 5 times a power of ten that
/// lie inside a range, written with as many decimals as the step needs. Labels are distinct and
/// increasing, and zero is written "0" (never "-0").
public struct AxisTicks: Sendable, Equatable {
    public var step: Double
    public var values: [Double]
    public var labels: [String]

    /// The ticks with the given step inside `range`; `nil` when there would be more than 1,000.
    public init?(range: ClosedRange<Double>, step: Double) {
        guard step > 0, step.isFinite, range.lowerBound.isFinite, range.upperBound.isFinite else { return nil }
        let first = (range.lowerBound / step).rounded(.up), last = (range.upperBound / step).rounded(.down)
        guard last - first < 1000 else { return nil }
        self.step = step
        // `+ 0` turns a -0 (a multiple just above a negative lower bound) into 0.
        values = first > last ? [] : (Int(first)...Int(last)).map { Double($0) * step + 0 }
        labels = Self.labels(values, step: step)
    }

    /// The steps to try for `range`, finest first: the round step that gives at most `maximumCount`
    /// ticks, then each next round step up to one that leaves at most one tick. `wholeNumbers` keeps
    /// the step at 1 or more, for an axis of counts such as steps.
    public static func candidateSteps(
        for range: ClosedRange<Double>, maximumCount: Int,
        wholeNumbers: Bool = false
    ) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return wholeNumbers ? [1] : [] }
        var exponent = floor(log10(span / Double(max(1, maximumCount))))
        var steps: [Double] = []
        while steps.last.map({ $0 <= span }) ?? true {
            for mantissa in [1.0, 2, 5] {
                let step = mantissa * pow(10, exponent)
                guard step * Double(max(1, maximumCount)) >= span, !wholeNumbers || step >= 1 else { continue }
                steps.append(step)
            }
            exponent += 1
        }
        return steps
    }

    /// Labels with the decimals `step` needs ("0.5", "1", "1.5"); whole steps in the short form of
    /// `Format.compact` ("12.5k") unless that would write two ticks alike, then in full ("12,010").
    static func labels(_ values: [Double], step: Double) -> [String] {
        if step >= 1 {
            let short = values.map(Format.compact)
            return Set(short).count == short.count ? short : values.map { Format.grouped(Int($0.rounded())) }
        }
        // The tolerance keeps a step of 0.1, whose log10 is not exactly -1, at one decimal.
        let decimals = Int((-log10(step) - 1e-9).rounded(.up))
        return values.map { String(format: "%.\(decimals)f", $0) }
    }
}
