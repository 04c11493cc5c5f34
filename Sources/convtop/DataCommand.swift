import ArgumentParser
import ConvData
import Foundation

/// `convtop data`: look inside datasets and download them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect and download datasets.",
        subcommands: [Info.self, Fetch.self, Bench.self]
    )

    /// Runs `body`, turning a `DataError` into its one-line message on stderr and exit status 2.
    static func reportingDataErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DataError {
            FileHandle.standardError.write(Data("convtop: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// PATH as a folder, or as a dataset name looked up in the usual places; the default
    /// dataset when nil.
    static func folder(_ path: String?) throws -> URL {
        guard let path else { return try DatasetLocator().defaultDataset() }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
            let name = DatasetName(rawValue: path)
        {
            return try DatasetLocator().locate(name)
        }
        return try DatasetLocator().resolve(data: path, dataset: nil)
    }
}

extension DataCommand {
    /// `convtop data info PATH`: what a dataset folder holds.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a dataset's format, counts, classes, pixel statistics and a few images.")

        @Argument(help: "A dataset folder, or a dataset name (cifar10, cifar100, mnist, fashion-mnist, kmnist).")
        var path: String

        @Option(help: "CIFAR-100 labels: fine (100 classes) or coarse (20).")
        var labels: LabelGranularity = .fine

        @Option(help: "How many images to draw as text.")
        var thumbnails: Int = 6

        @OptionGroup var images: ImageFolderArguments

        func run() throws {
            try DataCommand.reportingDataErrors {
                let dataset = try Dataset.load(
                    from: try DataCommand.folder(path), labels: labels,
                    images: images.options())
                print(DatasetReport(dataset: dataset, thumbnails: max(0, thumbnails)).lines.joined(separator: "\n"))
            }
        }
    }
}

extension DataCommand {
    /// `convtop data fetch NAME`: download, verify and unpack a dataset.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a dataset's official files, verify their checksums and put them in place.",
            discussion: """
                The dataset goes to $CONVTOP_DATA/NAME, or ~/.cache/convtop/NAME, unless --to is given; \
                it is assembled in a hidden folder beside the destination and renamed into place only \
                once complete and verified.
                """)

        @Argument(help: "cifar10, cifar100, mnist, fashion-mnist or kmnist.")
        var name: String

        @Option(help: "The folder to create (default: $CONVTOP_DATA/NAME or ~/.cache/convtop/NAME).")
        var to: String?

        @Option(
            help: "Download from a mirror: the archive's URL (CIFAR) or the folder holding the files (MNIST family).")
        var url: String?

        /// Lets tests serve archives of their own making.
        @Option(name: .customLong("expect-md5"), parsing: .singleValue, help: .hidden)
        var expectedMD5: [String] = []

        func run() throws {
            try DataCommand.reportingDataErrors {
                let dataset = try DatasetName(parsing: name)
                var source = DatasetSource.official(dataset)
                if let url {
                    guard let mirror = URL(string: url), mirror.scheme != nil else {
                        throw DataError.invalidOption("--url \(url): not a URL")
                    }
                    source = source.fetching(from: mirror)
                }
                if !expectedMD5.isEmpty { source = try source.expecting(md5: expectedMD5) }
                let destination =
                    to.map { URL(fileURLWithPath: $0).standardizedFileURL }
                    ?? DatasetLocator().fetchDestination(for: dataset)
                let bar = ProgressBar()
                defer { bar.finish() }
                let fetched = try DatasetFetcher(progress: bar.update).fetch(source, to: destination)
                bar.finish()
                print(
                    "\(fetched.name): \(fetched.train.count) training and \(fetched.test.count) test images "
                        + "in \(fetched.folder)")
            }
        }
    }
}

extension DataCommand {
    /// `convtop data bench PATH`: how fast the loader prepares training batches, and for an image
    /// folder how fast its files are decoded and read back from the cache.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how many training images per second the background loader prepares; "
                + "for an image folder, also decode-and-resize images/s and cached images/s.")

        @Argument(help: "A dataset folder, or a dataset name; the default dataset when omitted.")
        var path: String?

        @Option(help: "Images per batch.")
        var batchSize: Int = 128

        @Option(help: "How long to measure, in seconds.")
        var seconds: Double = 3

        @Option(help: "Image folders: decoding threads.")
        var threads: Int = 2

        @OptionGroup var images: ImageFolderArguments

        func run() throws {
            try DataCommand.reportingDataErrors {
                let folder = try DataCommand.folder(path)
                var options = images.options(threads: max(1, threads))
                options.cacheFolder = nil
                let dataset = try Dataset.load(from: folder, images: options)
                if dataset.format == .imageFolder {
                    let result = try ImageFolderBenchmark.measure(folder, options: options)
                    print(
                        "decode  \(dataset.name): \(result.files) files to \(dataset.dimensions) on \(options.threads) threads: "
                            + "first pass \(Int(result.decodedPerSecond.rounded())) images/s, "
                            + "cached \(Int(result.cachedPerSecond.rounded())) images/s")
                }
                let rate = LoaderBenchmark.imagesPerSecond(dataset: dataset, batchSize: batchSize, seconds: seconds)
                print(
                    "loader  \(dataset.name) \(dataset.dimensions), batch \(batchSize), standard augmentation: "
                        + "\(Int(rate.rounded())) images/s")
            }
        }
    }
}

/// A one-line download progress bar on stderr, redrawn at most ten times a second.
///
/// `@unchecked Sendable` is safe because `lastDraw`, its only state, is guarded by `lock`.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = 0.0

    func update(file: String, received: Int64, total: Int64?) {
        let now = Date().timeIntervalSince1970
        let due = lock.withLock {
            guard lastDraw >= 0, now - lastDraw >= 0.1 || received == total else { return false }
            lastDraw = now
            return true
        }
        guard due else { return }
        let megabytes = String(format: "%.1f", Double(received) / 1e6)
        let line: String
        if let total, total > 0 {
            let fraction = min(1, Double(received) / Double(total))
            let filled = Int(fraction * 30)
            line =
                "\(file) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] "
                + "\(Int(fraction * 100))%  \(megabytes) / \(String(format: "%.1f", Double(total) / 1e6)) MB"
        } else {
            line = "\(file) \(megabytes) MB"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    /// Ends the bar's line, once, so what follows starts on a fresh line.
    func finish() {
        let drawn = lock.withLock {
            defer { lastDraw = -1 }
            return lastDraw > 0
        }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// "decoding images 1200/5000" on standard error while an image folder is decoded: redrawn in
/// place at most ten times a second on a terminal, otherwise one line per phase when it ends.
///
/// `@unchecked Sendable` is safe because `lastDraw` and `started`, its only state, are guarded by `lock`.
final class DecodeProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var started = [ImageFolderProgress.Phase: Double]()
    private let isTerminal = isatty(STDERR_FILENO) == 1

    func update(_ progress: ImageFolderProgress) {
        let now = Date().timeIntervalSince1970
        let finished = progress.done == progress.total
        let (due, start) = lock.withLock {
            let start = started[progress.phase] ?? now
            started[progress.phase] = start
            let due = finished || (isTerminal && now - lastDraw >= 0.1)
            if due { lastDraw = now }
            return (due, start)
        }
        guard due else { return }
        var line = "\(progress.phase.rawValue) \(progress.done)/\(progress.total)"
        if finished { line += String(format: " in %.1f s", now - start) }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)\(finished ? "\n" : "")".utf8))
        } else if finished {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }
}

/// The text `convtop data info` prints for a dataset.
struct DatasetReport {
    var dataset: Dataset
    var thumbnails: Int

    var lines: [String] {
        let train = dataset.train.classCounts(classCount: dataset.classCount)
        let test = dataset.test.classCounts(classCount: dataset.classCount)
        let statistics = ChannelStatistics(measuring: dataset.train)
        let nameWidth = max(5, dataset.classNames.map(\.count).max() ?? 0)
        let indexWidth = String(dataset.classCount - 1).count
        func numbers(_ values: [Float]) -> String { values.map { String(format: "%.4f", $0) }.joined(separator: " ") }
        let validation = dataset.validation.classCounts(classCount: dataset.classCount)
        let hasValidation = dataset.validation.count > 0
        var lines = [
            "folder   \(dataset.folder)",
            "dataset  \(dataset.name) (\(dataset.format.rawValue))",
            "images   \(dataset.dimensions) (channels x height x width)",
        ]
        lines += imageFolderLines
        lines += [
            "train    \(dataset.train.count)"
        ]
        if hasValidation { lines.append("val      \(dataset.validation.count)") }
        lines += [
            "test     \(dataset.test.count)" + (dataset.test.count == 0 ? " (no test files)" : ""),
            "mean     \(numbers(statistics.mean)) (per channel, pixels / 255, training images)",
            "std      \(numbers(statistics.standardDeviation))",
            "classes  \(dataset.classCount)",
        ]
        for (label, name) in dataset.classNames.enumerated() {
            let index = String(label).leftPadded(to: indexWidth)
            lines.append(
                "  \(index) \(name.padding(toLength: nameWidth, withPad: " ", startingAt: 0))"
                    + "  train \(String(train[label]).leftPadded(to: 6))"
                    + (hasValidation ? "  val \(String(validation[label]).leftPadded(to: 6))" : "")
                    + "  test \(String(test[label]).leftPadded(to: 6))")
        }
        if !dataset.skippedFiles.isEmpty {
            lines.append("skipped  \(dataset.skippedFiles.count) files that could not be decoded")
            lines += dataset.skippedFiles.map { "  \($0)" }
        }
        lines += thumbnailLines
        return lines
    }

    /// Splits, source sizes and colour modes of an image folder.
    private var imageFolderLines: [String] {
        guard let summary = dataset.imageFolder else { return [] }
        let splits = ["train", "validation", "test"].compactMap { role in
            summary.splitFolders[role].map { "\(role) \($0.isEmpty ? "(the folder itself)" : $0 + "/")" }
        }
        func spread(_ values: [Int]) -> String {
            let sorted = values.sorted()
            guard let first = sorted.first, let last = sorted.last else { return "-" }
            return "min \(first)  median \(sorted[sorted.count / 2])  max \(last)"
        }
        let modes = summary.colourModes.sorted { ($1.value, $0.key.rawValue) < ($0.value, $1.key.rawValue) }
            .map { "\($0.key.rawValue) \($0.value)" }
        return [
            "layout   " + splits.joined(separator: ", ")
                + " (class folders, scaled to cover the image size, centre crop)",
            "width    " + spread(summary.widths) + " (files before resizing)",
            "height   " + spread(summary.heights),
            "colours  " + modes.joined(separator: ", ") + " (alpha dropped)",
            "decoded  " + (summary.fromCache ? "read from the decode cache" : "from the files"),
        ]
    }

    /// The first training image of each of the first classes, side by side, three to a row.
    private var thumbnailLines: [String] {
        let images = dataset.train
        let picks = (0..<dataset.classCount).compactMap { label in images.labels.firstIndex(of: Int32(label)) }
            .prefix(thumbnails)
        var lines = [String]()
        let width = dataset.dimensions.width
        for row in stride(from: 0, to: picks.count, by: 3) {
            let group = Array(picks.dropFirst(row).prefix(3))
            let drawings = group.map { ASCIIThumbnail.lines(images.image(at: $0), dimensions: dataset.dimensions) }
            lines.append("")
            lines.append(
                group.map { index in
                    let caption = "#\(index) \(dataset.classNames[Int(images.labels[index])])"
                    return String(caption.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0)
                }.joined(separator: "  "))
            for line in 0..<(drawings.first?.count ?? 0) {
                lines.append(drawings.map { $0[line] }.joined(separator: "  "))
            }
        }
        return lines
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
