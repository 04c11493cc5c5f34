import CZlib
import Foundation

/// What decoding one image file gave: its upright size and colour mode, or why it failed.
struct ImageSurveyEntry: Sendable, Equatable {
    var width = 0
    var height = 0
    var colourMode: ImageColourMode?
    /// Why the file was skipped; nil for a usable image.
    var failure: String?

    var isUsable: Bool { failure == nil && colourMode != nil }

    /// Width and height (4 bytes each, little-endian), the colour mode's position in
    /// `ImageColourMode.allCases` plus one (0 for a failure), then for a failure its reason's
    /// length (2 bytes) and UTF-8 bytes.
    func encode(into bytes: inout [UInt8]) {
        for value in [width, height] { bytes += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        if let colourMode, failure == nil {
            bytes.append(UInt8(ImageColourMode.allCases.firstIndex(of: colourMode)! + 1))
        } else {
            let reason = Array((failure ?? "").utf8.prefix(0xFFFF))
            bytes += [0, UInt8(reason.count & 0xFF), UInt8(reason.count >> 8)] + reason
        }
    }

    /// Reads one entry at `offset`, moving it past; nil when the bytes end early or are out of range.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> ImageSurveyEntry? {
        guard offset + 9 <= bytes.count else { return nil }
        func integer(_ at: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var entry = ImageSurveyEntry(width: integer(offset, 4), height: integer(offset + 4, 4))
        let mode = Int(bytes[offset + 8])
        offset += 9
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

/// The decoded, resized images of one image folder, packed in one file so later runs read it
/// instead of decoding again.
///
/// The file is `<cache folder>/<MD5 of the dataset folder's path>.images`, one per dataset folder.
/// Its header holds the MD5 of the folder's listing (every image file's relative path, size in
/// bytes and modification time, and the decoder's version), the image size and channels, and a
/// CRC-32 of everything after the header. A file whose listing digest, size, channels, length or
/// checksum does not match is stale or corrupt and is rebuilt, never used. Written to a
/// temporary file and renamed into place, so a reader never sees half a file.
///
///     offset  size  field
///          0     8  magic "CONVTOPI"
///          8     4  format version (little-endian)
///         12    32  listing MD5, hex
///         44     4  file count
///         48     4  image width
///         52     4  image height
///         56     4  channels
///         60     8  metadata length
///         68     4  CRC-32 of metadata and pixels
///         72        metadata (one encoded ImageSurveyEntry per file, in listing order), then
///                   pixels: file count x channels x height x width bytes, CHW per image, zero
///                   for skipped files
struct ImageCache {
    static let magic = Array("CONVTOPI".utf8)
    /// Raised whenever decoding or resizing changes the pixels it produces.
    static let version: UInt32 = 3
    static let headerSize = 72

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
        /// The whole file, memory-mapped.
        var data: Data
        var pixelOffset: Int

        /// Appends image `index`'s CHW bytes to `pixels`.
        func appendImage(_ index: Int, to pixels: inout [UInt8]) {
            let size = channels * imageSize.pixelCount
            let start = pixelOffset + index * size
            data.withUnsafeBytes { bytes in pixels.append(contentsOf: bytes[start..<(start + size)]) }
        }
    }

    /// The cached images, or nil when there is no cache file or it does not match the folder.
    func read() -> Contents? {
        guard let data = try? Data(contentsOf: file, options: .alwaysMapped), data.count >= Self.headerSize else {
            return nil
        }
        return data.withUnsafeBytes { bytes -> Contents? in
            func integer(at offset: Int, size: Int) -> Int {
                (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            }
            guard Array(bytes[0..<8]) == Self.magic, integer(at: 8, size: 4) == Int(Self.version),
                Array(bytes[12..<44]) == listingDigest, integer(at: 44, size: 4) == fileCount
            else { return nil }
            let imageSize = ImageSize(width: integer(at: 48, size: 4), height: integer(at: 52, size: 4))
            let channels = integer(at: 56, size: 4), metadataLength = integer(at: 60, size: 8)
            guard ImageFolderLoader.isValid(imageSize), channels == 1 || channels == 3,
                metadataLength >= 0, metadataLength <= bytes.count - Self.headerSize,
                bytes.count - Self.headerSize - metadataLength == fileCount * channels * imageSize.pixelCount,
                integer(at: 68, size: 4) == Self.checksum(UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize...]))
            else { return nil }
            let metadata = UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize..<(Self.headerSize + metadataLength)])
            var survey = [ImageSurveyEntry]()
            survey.reserveCapacity(fileCount)
            var offset = 0
            while survey.count < fileCount, let entry = ImageSurveyEntry.decode(metadata, at: &offset) {
                survey.append(entry)
            }
            guard survey.count == fileCount, offset == metadata.count else { return nil }
            return Contents(
                survey: survey, imageSize: imageSize, channels: channels, data: data,
                pixelOffset: Self.headerSize + metadataLength)
        }
    }

    /// Replaces the cache file with these images.
    func write(survey: [ImageSurveyEntry], imageSize: ImageSize, channels: Int, pixels: DisjointBytes) throws {
        var metadata = [UInt8]()
        for entry in survey { entry.encode(into: &metadata) }
        let pixelCount = fileCount * channels * imageSize.pixelCount
        var payload = metadata
        payload += pixels[0..<pixelCount]
        var header = Self.magic
        func append(_ value: Int, size: Int) {
            header += (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        }
        append(Int(Self.version), size: 4)
        header += listingDigest
        append(fileCount, size: 4)
        append(imageSize.width, size: 4)
        append(imageSize.height, size: 4)
        append(channels, size: 4)
        append(metadata.count, size: 8)
        append(payload.withUnsafeBytes { Self.checksum($0) }, size: 4)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(header + payload).write(to: file, options: .atomic)
    }

    /// CRC-32 (zlib's), fed in pieces because zlib takes 32-bit lengths.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> Int {
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, 1 << 30)
            crc = crc32(crc, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), uInt(length))
            offset += length
        }
        return Int(crc)
    }
}
