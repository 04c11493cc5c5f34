import CZlib
import Foundation

/// What decoding one image file gave: its upright size and colour mode, or why it failed; and the
/// size of its source copy for random resized crops, when it keeps one.
struct ImageSurveyEntry: Sendable, Equatable {
    var width = 0
    var height = 0
    /// Size of the kept source copy (training files only); 0 when the stored image is its own source.
    var sourceWidth = 0
    var sourceHeight = 0
    var colourMode: ImageColourMode?
    /// Why the file was skipped; nil for a usable image.
    var failure: String?

    var isUsable: Bool { failure == nil && colourMode != nil }

    var hasSource: Bool { sourceWidth > 0 && sourceHeight > 0 }

    /// Width, height, source width and source height (4 bytes each, little-endian), the colour
    /// mode's position in `ImageColourMode.allCases` plus one (0 for a failure), then for a
    /// failure its reason's length (2 bytes) and UTF-8 bytes.
    func encode(into bytes: inout [UInt8]) {
        for value in [width, height, sourceWidth, sourceHeight] {
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        }
        if let colourMode, failure == nil {
            bytes.append(UInt8(ImageColourMode.allCases.firstIndex(of: colourMode)! + 1))
        } else {
            let reason = Array((failure ?? "").utf8.prefix(0xFFFF))
            bytes += [0, UInt8(reason.count & 0xFF), UInt8(reason.count >> 8)] + reason
        }
    }

    /// Reads one entry at `offset`, moving it past; nil when the bytes end early or are out of range.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> ImageSurveyEntry? {
        guard offset + 17 <= bytes.count else { return nil }
        func integer(_ at: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var entry = ImageSurveyEntry(
            width: integer(offset, 4), height: integer(offset + 4, 4), sourceWidth: integer(offset + 8, 4),
            sourceHeight: integer(offset + 12, 4))
        let mode = Int(bytes[offset + 16])
        offset += 17
        if mode == 0 {
            guard offset + 2 <= bytes.count else { return nil }
            let length = integer(offset, 2)
            guard offset + 2 + length <= bytes.count else { return nil }
            entry.failure = String(
                decoding: UnsafeRawBufferPointer(rebasing: bytes[(offset + 2)..<(offset + 2 + length)]), as: UTF8.self)
            offset += 2 + length
        } else {
            guard mode <= ImageColourMode.allCases.count else { return nil }
            entry.colourMode = ImageColourMode.allCases[mode - 1]
        }
        return entry
    }
}

/// Where every file's stored image and source copy sit in the pixel bytes: the stored images
/// first, `valueCount` bytes per file in listing order (zeros for skipped files), then the
/// source copies of the files that keep one, in listing order.
struct ImagePixelLayout {
    let valueCount: Int
    /// Per file, where its source copy starts; nil when it keeps none.
    let sourceOffsets: [Int?]
    let byteCount: Int

    init(survey: [ImageSurveyEntry], imageSize: ImageSize, channels: Int) {
        valueCount = channels * imageSize.pixelCount
        var next = survey.count * valueCount
        sourceOffsets = survey.map { entry in
            guard entry.hasSource else { return nil }
            defer { next += channels * entry.sourceWidth * entry.sourceHeight }
            return next
        }
        byteCount = next
    }
}

/// The decoded, resized images of one image folder, packed in one file so later runs read it
/// instead of decoding again, and so folders too large for memory are used from it in place.
///
/// The file is `<cache folder>/<MD5 of the dataset folder's path>.images`, one per dataset folder.
/// Its header holds the MD5 of the folder's listing (every image file's relative path, size in
/// bytes and modification time, and the decoder's version), the image size and channels, and a
/// CRC-32 of everything after the header. A file whose listing digest, size, channels, length or
/// checksum does not match is stale or corrupt and is rebuilt, never used. Built in a temporary
/// file (its pixels written in place through a memory map) and renamed into place, so a reader
/// never sees half a file.
///
///     offset  size  field
///          0     8  magic "CONVTOPI"
///          8     4  format version (little-endian)
///         12    32  listing MD5, hex
///         44     4  file count
///         48     4  image width
///         52     4  image height
///         56     4  channels
///         60     8  pixel bytes length
///         68     8  metadata length
///         76     4  CRC-32 of pixels and metadata
///         80        pixels (see `ImagePixelLayout`), CHW per image, then metadata: one encoded
///                   ImageSurveyEntry per file, in listing order
struct ImageCache {
    static let magic = Array("CONVTOPI".utf8)
    /// Raised whenever decoding or resizing changes the pixels it produces.
    static let version: UInt32 = 4
    static let headerSize = 80

    let file: URL
    let listingDigest: [UInt8]
    let fileCount: Int

    init(folder: URL, datasetFolder: URL, files: [ImageFile]) {
        let name = MD5.hexDigest(of: Array(datasetFolder.standardizedFileURL.path.utf8))
        file = folder.appendingPathComponent(name + ".images")
        var listing = "convtop image cache \(Self.version)\n"
        for image in files { listing += "\(image.path)\t\(image.byteCount)\t\(image.modified)\n" }
        listingDigest = Array(MD5.hexDigest(of: Array(listing.utf8)).utf8)
        fileCount = files.count
    }

    struct Contents {
        var survey: [ImageSurveyEntry]
        var imageSize: ImageSize
        var channels: Int
        /// The whole file, memory-mapped; the pixels start at `ImageCache.headerSize`.
        var mapping: MappedFile
        var pixelCount: Int
    }

    /// The cached images, or nil when there is no cache file or it does not match the folder.
    func read() -> Contents? {
        guard let mapping = MappedFile(readingFrom: file.path), mapping.bytes.count >= Self.headerSize else {
            return nil
        }
        let bytes = mapping.bytes
        func integer(at offset: Int, size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        guard Array(bytes[0..<8]) == Self.magic, integer(at: 8, size: 4) == Int(Self.version),
            Array(bytes[12..<44]) == listingDigest, integer(at: 44, size: 4) == fileCount
        else { return nil }
        let imageSize = ImageSize(width: integer(at: 48, size: 4), height: integer(at: 52, size: 4))
        let channels = integer(at: 56, size: 4)
        let pixelCount = integer(at: 60, size: 8), metadataLength = integer(at: 68, size: 8)
        guard ImageFolderLoader.isValid(imageSize), channels == 1 || channels == 3, pixelCount >= 0,
            metadataLength >= 0, bytes.count - Self.headerSize == pixelCount + metadataLength,
            integer(at: 76, size: 4) == Self.checksum(UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize...]))
        else { return nil }
        let metadata = UnsafeRawBufferPointer(rebasing: bytes[(Self.headerSize + pixelCount)...])
        var survey = [ImageSurveyEntry]()
        survey.reserveCapacity(fileCount)
        var offset = 0
        while survey.count < fileCount, let entry = ImageSurveyEntry.decode(metadata, at: &offset) {
            survey.append(entry)
        }
        guard survey.count == fileCount, offset == metadata.count,
            ImagePixelLayout(survey: survey, imageSize: imageSize, channels: channels).byteCount == pixelCount
        else { return nil }
        return Contents(
            survey: survey, imageSize: imageSize, channels: channels, mapping: mapping, pixelCount: pixelCount)
    }

    /// A cache file being built: its pixels are written in place, then `finish` adds the survey,
    /// the header and the checksum and renames it into place.
    struct Builder {
        let cache: ImageCache
        let temporary: URL
        let mapping: MappedFile
        let imageSize: ImageSize
        let channels: Int
        let pixelCount: Int

        /// The pixel bytes, to be filled by the decoding threads.
        var pixels: DisjointBytes { DisjointBytes(mapping: mapping, offset: ImageCache.headerSize, count: pixelCount) }

        /// Completes the file with `survey` and puts it in place of the old one.
        func finish(survey: [ImageSurveyEntry]) throws {
            var metadata = [UInt8]()
            for entry in survey { entry.encode(into: &metadata) }
            let pixels = UnsafeRawBufferPointer(rebasing: mapping.bytes[ImageCache.headerSize...])
            var crc = ImageCache.checksum(pixels)
            crc = metadata.withUnsafeBytes { ImageCache.checksum($0, continuing: crc) }
            var header = ImageCache.magic
            func append(_ value: Int, size: Int) {
                header += (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
            }
            append(Int(ImageCache.version), size: 4)
            header += cache.listingDigest
            append(cache.fileCount, size: 4)
            append(imageSize.width, size: 4)
            append(imageSize.height, size: 4)
            append(channels, size: 4)
            append(pixelCount, size: 8)
            append(metadata.count, size: 8)
            append(crc, size: 4)
            header.withUnsafeBytes { mapping.mutableBytes.copyMemory(from: $0) }
            do {
                let handle = try FileHandle(forWritingTo: temporary)
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: metadata)
            } catch {
                throw ImageCacheError(file: cache.file.path, reason: ImageCacheError.reason(error))
            }
            guard rename(temporary.path, cache.file.path) == 0 else {
                throw ImageCacheError(file: cache.file.path, reason: String(cString: strerror(errno)))
            }
        }

        /// Removes the unfinished file.
        func abandon() { try? FileManager.default.removeItem(at: temporary) }
    }

    /// Starts a cache file for `pixelCount` bytes of pixels; throws when it cannot be created.
    func begin(imageSize: ImageSize, channels: Int, pixelCount: Int) throws -> Builder {
        let folder = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ImageCacheError(file: folder.path, reason: ImageCacheError.reason(error))
        }
        removeAbandoned(in: folder)
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).\(getpid())\(Self.partialSuffix)")
        let mapping: MappedFile
        do {
            mapping = try MappedFile.creating(temporary.path, size: Self.headerSize + pixelCount)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ImageCacheError(file: file.path, reason: "\(error)")
        }
        return Builder(
            cache: self, temporary: temporary, mapping: mapping, imageSize: imageSize, channels: channels,
            pixelCount: pixelCount)
    }

    static let partialSuffix = ".partial"

    /// Deletes the unfinished files of this cache whose writer is gone (killed while decoding):
    /// each is as large as the cache, and nothing else would ever remove it.
    private func removeAbandoned(in folder: URL) {
        let prefix = ".\(file.lastPathComponent)."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(Self.partialSuffix) {
            guard let writer = pid_t(name.dropFirst(prefix.count).dropLast(Self.partialSuffix.count)) else { continue }
            if kill(writer, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }

    /// CRC-32 (zlib's), fed in pieces because zlib takes 32-bit lengths; `continuing` a CRC of
    /// earlier bytes.
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing start: Int = 0) -> Int {
        var crc = uLong(start)
        var offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, 1 << 30)
            crc = crc32(crc, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), uInt(length))
            offset += length
        }
        return Int(crc)
    }
}

/// Why the decode cache could not be written: the file and the system's reason. The images are
/// then decoded without it.
struct ImageCacheError: Error, CustomStringConvertible, Sendable {
    var file: String
    var reason: String

    var description: String { "\(file): cannot write the decode cache (\(reason)); decoding without it" }

    /// The system's words (strerror's) for a Foundation file error that wraps a POSIX one.
    static func reason(_ error: Error) -> String {
        let error = error as NSError
        let posix = error.domain == NSPOSIXErrorDomain ? error : error.userInfo[NSUnderlyingErrorKey] as? NSError
        guard let posix, posix.domain == NSPOSIXErrorDomain else { return error.localizedDescription }
        return String(cString: strerror(Int32(posix.code)))
    }
}
