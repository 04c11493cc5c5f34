import Foundation

/// Reads a folder of PNG and JPEG files in the ImageFolder layout into a `Dataset`.
///
/// Every image is decoded once, turned upright, converted to the chosen channels, scaled
/// (antialiased, keeping its aspect ratio) until it covers the image size and centre-cropped to
/// it (torchvision's `Resize` + `CenterCrop`), and stored as bytes in an `ImageSet` like the CIFAR and IDX readers'.
/// Training then augments those squares like any other dataset's (`--augment`: padded random
/// crop and flip). Files that fail to decode are skipped and listed in `Dataset.skippedFiles`.
/// Nothing is written into the dataset folder; the decode cache lives in its own folder.
public struct ImageFolderLoader: Sendable {
    /// `--image-size` may not exceed this.
    public static let largestImageSize = 1024

    public var options: ImageFolderOptions

    public init(options: ImageFolderOptions = ImageFolderOptions()) {
        self.options = options
    }

    public func load(_ root: URL) throws -> Dataset {
        if let size = options.imageSize, !Self.isValid(size) {
            throw DataError.invalidOption(
                "--image-size \(size): width and height must be between 1 and \(Self.largestImageSize)")
        }
        if let channels = options.channels, channels != 1 && channels != 3 {
            throw DataError.invalidOption("--channels \(channels): must be 1 or 3")
        }
        let splits = try ImageFolderLayout.scan(root)
        let files = splits.flatMap(\.files)
        guard !files.isEmpty else { throw DataError.malformed(file: root.path, detail: "no PNG or JPEG files") }
        let cache = options.cacheFolder.map { ImageCache(folder: $0, datasetFolder: root, files: files) }
        let cached = cache?.read()
        var survey = cached?.survey
        if survey == nil && (options.imageSize == nil || options.channels == nil) {
            survey = readHeaders(root, files)
        }
        let size = options.imageSize ?? Self.defaultSize(survey ?? [], files: files)
        let channels = options.channels ?? Self.defaultChannels(survey ?? [])
        let valueCount = channels * size.pixelCount

        let appendImage: (Int, inout [UInt8]) -> Void
        let fromCache: Bool
        if let cached, cached.imageSize == size, cached.channels == channels {
            survey = cached.survey
            appendImage = cached.appendImage
            fromCache = true
        } else {
            let (decodedSurvey, pixels) = decode(root, files, size: size, channels: channels)
            survey = decodedSurvey
            // A cache that cannot be written (read-only or full disk) only costs the next run a decode.
            try? cache?.write(survey: decodedSurvey, imageSize: size, channels: channels, pixels: pixels)
            appendImage = { index, target in target += pixels[(index * valueCount)..<((index + 1) * valueCount)] }
            fromCache = false
        }
        let entries = survey ?? []

        let dimensions = ImageDimensions(channels: channels, height: size.height, width: size.width)
        var sets = [ImageFolderSplit.Role: ImageSet]()
        var offset = 0
        for split in splits {
            var pixels = [UInt8](), labels = [Int32](), names = [String]()
            var perClass = [Int](repeating: 0, count: split.classNames.count)
            for (position, file) in split.files.enumerated() where entries[offset + position].isUsable {
                appendImage(offset + position, &pixels)
                labels.append(file.label)
                names.append(file.path)
                perClass[Int(file.label)] += 1
            }
            if let empty = perClass.firstIndex(of: 0) {
                let folder =
                    split.folder.isEmpty ? split.classNames[empty] : split.folder + "/" + split.classNames[empty]
                throw DataError.malformed(
                    file: root.appendingPathComponent(folder).path, detail: "no usable PNG or JPEG image")
            }
            sets[split.role] = ImageSet(dimensions: dimensions, pixels: pixels, labels: labels, fileNames: names)
            offset += split.files.count
        }
        let usable = zip(files, entries).filter { $0.1.isUsable }.map(\.1)
        var modes = [ImageColourMode: Int]()
        for entry in usable { modes[entry.colourMode!, default: 0] += 1 }
        var dataset = Dataset(
            name: root.lastPathComponent, folder: root.path, format: .imageFolder, classNames: splits[0].classNames,
            train: sets[.train]!, test: sets[.test] ?? .empty(dimensions), validation: sets[.validation],
            allowsHorizontalFlip: true,
            skippedFiles: zip(files, entries).compactMap { file, entry in
                entry.failure.map { SkippedImageFile(path: file.path, reason: $0) }
            })
        dataset.imageFolder = ImageFolderSummary(
            splitFolders: Dictionary(uniqueKeysWithValues: splits.map { ($0.role.rawValue, $0.folder) }),
            widths: usable.map(\.width), heights: usable.map(\.height), colourModes: modes, fromCache: fromCache)
        return dataset
    }

    /// The image files under `folder` (at any depth, hidden ones left out), sorted, as paths
    /// starting with `folder`'s.
    public static func imageFiles(under folder: URL) -> [String] {
        var visited = Set<String>()
        return ImageFolderLayout.imageFiles(in: folder.path, relativeTo: folder.path, visited: &visited).map(\.0)
    }

    /// True when both sides are within `1...largestImageSize`.
    public static func isValid(_ size: ImageSize) -> Bool {
        (1...largestImageSize).contains(size.width) && (1...largestImageSize).contains(size.height)
    }

    /// One image file as an image folder stores it: decoded, upright, converted to `channels`,
    /// scaled to cover `size` and centre-cropped to it; CHW bytes. Throws a `DataError` when
    /// the file cannot be read and an `ImageDecodingError` when it cannot be decoded.
    public static func centreCropped(file path: String, size: ImageSize, channels: Int) throws -> [UInt8] {
        let bytes = try FileBytes.read(path: path, name: path)
        let image = try ImageDecoder.decode(bytes)
        return ImageResampler.centreCrop(image.converted(toChannels: channels), to: size)
    }

    /// A square of the training images' median shorter side, at most
    /// `ImageFolderOptions.largestDefaultSize`.
    static func defaultSize(_ survey: [ImageSurveyEntry], files: [ImageFile]) -> ImageSize {
        let sides = zip(files, survey).filter { $0.0.split == .train && $0.1.isUsable }
            .map { min($0.1.width, $0.1.height) }.sorted()
        let side = sides.isEmpty ? ImageFolderOptions.largestDefaultSize : sides[sides.count / 2]
        return ImageSize(integerLiteral: min(side, ImageFolderOptions.largestDefaultSize))
    }

    /// 1 when every usable file is grey, 3 otherwise.
    static func defaultChannels(_ survey: [ImageSurveyEntry]) -> Int {
        let modes = survey.compactMap { $0.isUsable ? $0.colourMode : nil }
        return !modes.isEmpty && modes.allSatisfy(\.isGrey) ? 1 : 3
    }

    /// Every file's header (size and colour mode), to choose the default size and channels.
    private func readHeaders(_ root: URL, _ files: [ImageFile]) -> [ImageSurveyEntry] {
        let results = DisjointResults(repeating: ImageSurveyEntry(), count: files.count)
        @Sendable func header(_ bytes: UnsafeRawBufferPointer) throws -> ImageSurveyEntry {
            let header = try ImageDecoder.header(bytes)
            return ImageSurveyEntry(width: header.width, height: header.height, colourMode: header.colourMode)
        }
        ParallelFiles.forEach(files.count, threads: options.threads, progress: report(.surveying, files.count)) {
            index in
            // A header sits in the first bytes, except a JPEG's after a large EXIF or ICC segment.
            let prefix = Self.withContents(root, files[index], limit: Self.headerPrefix, header)
            results[index] =
                prefix.isUsable || files[index].byteCount <= Self.headerPrefix
                ? prefix : Self.withContents(root, files[index], header)
        }
        return results.values
    }

    /// Decodes, converts and resizes every file into its slot of one buffer (zeros for failures).
    private func decode(_ root: URL, _ files: [ImageFile], size: ImageSize, channels: Int)
        -> (survey: [ImageSurveyEntry], pixels: DisjointBytes)
    {
        let valueCount = channels * size.pixelCount
        let results = DisjointResults(repeating: ImageSurveyEntry(), count: files.count)
        let pixels = DisjointBytes(count: files.count * valueCount)
        ParallelFiles.forEach(files.count, threads: options.threads, progress: report(.decoding, files.count)) {
            index in
            results[index] = Self.withContents(root, files[index]) { bytes in
                let image = try ImageDecoder.decode(bytes)
                pixels.write(
                    ImageResampler.centreCrop(image.converted(toChannels: channels), to: size),
                    at: index * valueCount)
                return ImageSurveyEntry(width: image.width, height: image.height, colourMode: image.colourMode)
            }
        }
        return (results.values, pixels)
    }

    private func report(_ phase: ImageFolderProgress.Phase, _ total: Int) -> (@Sendable (Int) -> Void)? {
        guard let progress = options.progress else { return nil }
        return { done in progress(ImageFolderProgress(phase: phase, done: done, total: total)) }
    }

    /// How much of a file the header pass reads first.
    static let headerPrefix = 1 << 16

    /// `body` over the file's bytes (the first `limit`); a read or decode failure becomes the
    /// entry's failure.
    private static func withContents(
        _ root: URL, _ file: ImageFile, limit: Int = .max,
        _ body: (UnsafeRawBufferPointer) throws -> ImageSurveyEntry
    ) -> ImageSurveyEntry {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: root.path + "/" + file.path, name: file.path, limit: limit)
        } catch {
            return ImageSurveyEntry(failure: (error as? DataError).map(Self.reason) ?? "\(error)")
        }
        do {
            return try bytes.withUnsafeBytes(body)
        } catch {
            return ImageSurveyEntry(failure: "\(error)")
        }
    }

    /// A read error's message without the file name, which the skipped-file list already shows.
    private static func reason(_ error: DataError) -> String {
        if case .unreadable(_, let reason) = error { return "cannot be read (\(reason))" }
        return "\(error)"
    }
}
