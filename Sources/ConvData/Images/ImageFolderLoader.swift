import Foundation

/// Reads a folder of PNG and JPEG files in the ImageFolder layout into a `Dataset`.
///
/// Every image is decoded once, turned upright, converted to the chosen channels, scaled
/// (antialiased, keeping its aspect ratio) until it covers the image size and centre-cropped to
/// it (torchvision's `Resize` + `CenterCrop`), and stored as bytes in an `ImageSet` like the CIFAR
/// and IDX readers'. Training files also keep a source copy, the whole image at most twice the
/// image size, that training's random resized crops are drawn from. Files that fail to decode
/// are skipped and listed in `Dataset.skippedFiles`. Nothing is written into the dataset folder;
/// the decode cache lives in its own folder, and a folder whose pixels exceed
/// `ImageFolderOptions.memoryLimit` is used from it in place.
public struct ImageFolderLoader: Sendable {
    /// `--image-size` may not exceed this.
    public static let largestImageSize = 1024
    /// Source copies cover the image size enlarged this many times (when the file is that large).
    static let sourceFactor = 2

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
        var cached = cache?.read()
        let headers = cached?.survey ?? readHeaders(root, files)
        let size = options.imageSize ?? Self.defaultSize(headers, files: files)
        let channels = options.channels ?? Self.defaultChannels(headers)
        if let contents = cached, contents.imageSize != size || contents.channels != channels { cached = nil }
        let fromCache = cached != nil
        if cached == nil {
            cached = decode(root, files, headers: headers, size: size, channels: channels, cache: cache)
        }
        let (survey, pixels) =
            cached.map { ($0.survey, storage(of: $0)) }
            ?? decodeInMemory(
                root, files, headers: headers, size: size, channels: channels)
        let layout = ImagePixelLayout(survey: survey, imageSize: size, channels: channels)

        let dimensions = ImageDimensions(channels: channels, height: size.height, width: size.width)
        var sets = [ImageFolderSplit.Role: ImageSet]()
        var offset = 0
        for split in splits {
            var indices = [Int]()
            var perClass = [Int](repeating: 0, count: split.classNames.count)
            for (position, file) in split.files.enumerated() where survey[offset + position].isUsable {
                indices.append(offset + position)
                perClass[Int(file.label)] += 1
            }
            if let empty = perClass.firstIndex(of: 0) {
                let folder =
                    split.folder.isEmpty ? split.classNames[empty] : split.folder + "/" + split.classNames[empty]
                throw DataError.malformed(
                    file: root.appendingPathComponent(folder).path, detail: "no usable PNG or JPEG image")
            }
            let squares = indices.map { pixels.base + $0 * layout.valueCount }
            let sources = indices.map { index in
                layout.sourceOffsets[index].map {
                    (pixels.base + $0, survey[index].sourceWidth, survey[index].sourceHeight)
                }
                    ?? (pixels.base + index * layout.valueCount, size.width, size.height)
            }
            sets[split.role] = ImageSet(
                dimensions: dimensions, packed: PackedImages(pixels.buffer, offsets: squares),
                labels: indices.map { files[$0].label }, fileNames: indices.map { files[$0].path },
                sources: split.role != .train
                    ? nil
                    : SourceImages(
                        packed: PackedImages(pixels.buffer, offsets: sources.map(\.0)), widths: sources.map(\.1),
                        heights: sources.map(\.2)))
            offset += split.files.count
        }
        let usable = survey.filter(\.isUsable)
        var modes = [ImageColourMode: Int]()
        for entry in usable { modes[entry.colourMode!, default: 0] += 1 }
        var dataset = Dataset(
            name: root.lastPathComponent, folder: root.path, format: .imageFolder, classNames: splits[0].classNames,
            train: sets[.train]!, test: sets[.test] ?? .empty(dimensions), validation: sets[.validation],
            allowsHorizontalFlip: true,
            skippedFiles: zip(files, survey).compactMap { file, entry in
                entry.failure.map { SkippedImageFile(path: file.path, reason: $0) }
            })
        dataset.imageFolder = ImageFolderSummary(
            splitFolders: Dictionary(uniqueKeysWithValues: splits.map { ($0.role.rawValue, $0.folder) }),
            widths: usable.map(\.width), heights: usable.map(\.height), colourModes: modes, fromCache: fromCache)
        return dataset
    }

    /// The cache's pixels as the image sets hold them: copied into memory when they fit in
    /// `options.memoryLimit`, else the mapped file itself.
    private func storage(of contents: ImageCache.Contents) -> (buffer: PackedImages.Buffer, base: Int) {
        guard contents.pixelCount > options.memoryLimit else {
            let pixels = contents.mapping.bytes[ImageCache.headerSize..<(ImageCache.headerSize + contents.pixelCount)]
            return (.memory([UInt8](UnsafeRawBufferPointer(rebasing: pixels))), 0)
        }
        return (.mapped(contents.mapping), ImageCache.headerSize)
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

    /// Every file's header (size and colour mode), to choose the default size and channels and to
    /// lay out the pixels before decoding.
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

    /// `headers` (read now, or a cache's survey for another size) with the size of each training
    /// file's source copy at `size`: none when the file already has that size (it is its own source).
    static func withSources(_ headers: [ImageSurveyEntry], files: [ImageFile], size: ImageSize) -> [ImageSurveyEntry] {
        zip(headers, files).map { entry, file in
            var entry = entry
            (entry.sourceWidth, entry.sourceHeight) = (0, 0)
            guard entry.isUsable, file.split == .train, entry.width != size.width || entry.height != size.height else {
                return entry
            }
            (entry.sourceWidth, entry.sourceHeight) = ImageResampler.scaledCopySize(
                width: entry.width, height: entry.height, covering: size, factor: sourceFactor)
            return entry
        }
    }

    /// Decodes every file into a new cache file; nil when there is no cache folder or no file can
    /// be created there (a warning says why). A file that cannot be finished is removed, its
    /// pixels still used.
    private func decode(
        _ root: URL, _ files: [ImageFile], headers: [ImageSurveyEntry], size: ImageSize, channels: Int,
        cache: ImageCache?
    ) -> ImageCache.Contents? {
        let planned = Self.withSources(headers, files: files, size: size)
        let layout = ImagePixelLayout(survey: planned, imageSize: size, channels: channels)
        guard let cache else { return nil }
        let builder: ImageCache.Builder
        do {
            builder = try cache.begin(imageSize: size, channels: channels, pixelCount: layout.byteCount)
        } catch {
            options.warning?("\(error)")
            return nil
        }
        let survey = decode(
            root, files, planned: planned, layout: layout, size: size, channels: channels, into: builder.pixels)
        do {
            try builder.finish(survey: survey)
        } catch {
            builder.abandon()
            options.warning?("\(error)")
        }
        return ImageCache.Contents(
            survey: survey, imageSize: size, channels: channels, mapping: builder.mapping, pixelCount: layout.byteCount)
    }

    /// Decodes every file into memory, for a run without a usable cache.
    private func decodeInMemory(
        _ root: URL, _ files: [ImageFile], headers: [ImageSurveyEntry], size: ImageSize, channels: Int
    ) -> ([ImageSurveyEntry], (buffer: PackedImages.Buffer, base: Int)) {
        let planned = Self.withSources(headers, files: files, size: size)
        let layout = ImagePixelLayout(survey: planned, imageSize: size, channels: channels)
        let pixels = DisjointBytes(count: layout.byteCount)
        let survey = decode(root, files, planned: planned, layout: layout, size: size, channels: channels, into: pixels)
        return (survey, (.memory(Array(pixels[0..<layout.byteCount])), 0))
    }

    /// Decodes, converts and resizes every file whose header was read into its slots of
    /// `pixels` (zeros for failures): the stored image, and the source copy `planned` asks for.
    private func decode(
        _ root: URL, _ files: [ImageFile], planned: [ImageSurveyEntry], layout: ImagePixelLayout, size: ImageSize,
        channels: Int, into pixels: DisjointBytes
    ) -> [ImageSurveyEntry] {
        let results = DisjointResults(repeating: ImageSurveyEntry(), count: files.count)
        ParallelFiles.forEach(files.count, threads: options.threads, progress: report(.decoding, files.count)) {
            index in
            let plan = planned[index]
            guard plan.isUsable else {
                results[index] = plan
                return
            }
            var result = Self.withContents(root, files[index]) { bytes in
                let image = try ImageDecoder.decode(bytes).converted(toChannels: channels)
                guard image.width == plan.width, image.height == plan.height else {
                    throw ImageDecodingError.corrupt(
                        format: ImageFileFormat(sniffing: bytes) ?? .png,
                        reason:
                            "\(image.width)x\(image.height) pixels, but the header says \(plan.width)x\(plan.height)")
                }
                pixels.write(ImageResampler.centreCrop(image, to: size), at: index * layout.valueCount)
                if let offset = layout.sourceOffsets[index] {
                    pixels.write(
                        ImageResampler.scaledCopy(image, covering: size, factor: Self.sourceFactor), at: offset)
                }
                var entry = plan
                entry.colourMode = image.colourMode
                return entry
            }
            // A file that fails now keeps its planned source slot, so the layout read back from the
            // survey matches the bytes.
            (result.sourceWidth, result.sourceHeight) = (plan.sourceWidth, plan.sourceHeight)
            results[index] = result
        }
        return results.values
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
