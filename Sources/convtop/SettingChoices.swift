import ArgumentParser
import ConvData
import ConvEngine
import ConvProtocol
import ConvTUI
import ConvTraining

// The settings' enums parse their own options: the parser refuses an unknown value and names
// the choices, and help lists them, all from the type.

extension ModelPreset: ExpressibleByArgument {
    /// Help shows what each preset is.
    public static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.description) })
    }
}

extension Recipe: ExpressibleByArgument {
    /// Help shows what each recipe sets.
    public static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.summary) })
    }
}

extension OptimizerKind: ExpressibleByArgument {}

extension ScheduleKind: ExpressibleByArgument {}

extension AugmentationMode: ExpressibleByArgument {}

extension LabelGranularity: ExpressibleByArgument {}

extension MonitoredFigure: ExpressibleByArgument {}

extension Precision: ExpressibleByArgument {
    /// Help says what each precision computes in.
    public static var allValueDescriptions: [String: String] {
        [
            Precision.fp32.rawValue: "fp32 throughout",
            Precision.bf16.rawValue: "bf16 operands in the convolution and linear products (3x3 convolutions on "
                + "AMX tiles where the CPU has them, else Winograd's products), fp32 accumulation, weights and "
                + "statistics (needs AVX512-BF16)",
        ]
    }
}

extension DashboardOptions.Thumbnails: ExpressibleByArgument {
    /// Every mode, in the order help lists them.
    static let all: [Self] = [.automatic, .ascii]

    public init?(argument: String) {
        guard let mode = Self.all.first(where: { $0.defaultValueDescription == argument }) else { return nil }
        self = mode
    }

    /// The mode's name on the command line.
    public var defaultValueDescription: String {
        switch self {
        case .automatic: "auto"
        case .ascii: "ascii"
        }
    }

    public static var allValueStrings: [String] { all.map(\.defaultValueDescription) }
}
