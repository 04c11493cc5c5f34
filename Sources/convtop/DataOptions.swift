import ArgumentParser
import ConvData
import Foundation

/// `--data PATH`, `--dataset NAME` and `--labels`: which images a command trains or evaluates on.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A dataset folder (CIFAR-10/100 binary or MNIST-family IDX files).", valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("A dataset by name, looked for in $CONVTOP_DATA, ~/.cache/convtop, /usr/share/datasets "
        + "and ./data: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var dataset: String?

    @Option(help: "CIFAR-100 labels: fine (100 classes) or coarse (20 superclasses).")
    var labels: LabelGranularity = .fine

    func validate() throws {
        if data != nil && dataset != nil { throw ValidationError("give --data or --dataset, not both") }
    }

    /// Reads the chosen dataset; with neither option, the dataset named `fallback` (a
    /// checkpoint's) when given, otherwise the default dataset.
    func load(fallback: String? = nil) throws -> Dataset {
        let locator = DatasetLocator()
        let folder: URL
        if data == nil && dataset == nil, let fallback {
            folder = try locator.locate(try DatasetName(parsing: fallback))
        } else {
            folder = try locator.resolve(data: data, dataset: dataset)
        }
        return try Dataset.load(from: folder, labels: labels)
    }
}
