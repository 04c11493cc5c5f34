import Foundation

/// How an image folder is turned into fixed-size images: `--image-size`, `--channels`, the decode
/// cache and the decoding threads.
public struct ImageFolderOptions: Sendable {
    /// The size every image is stored at; nil for a square of the training images' median
    /// shorter side, at most `largestDefaultSize`.
    public var imageSize: ImageSize?
    /// 1 (grey) or 3 (RGB); nil for 1 when every image file is grey, 3 otherwise.
    public var channels: Int?
    /// Where decoded folders are cached (see `ImageCache`); nil to decode every time.
    public var cacheFolder: URL?
    /// Decoding threads.
    public var threads: Int
    /// Decoded pixels up to this many bytes are read into memory; a folder with more is used in
    /// place from its memory-mapped cache file, paged in and out by the system as training reads
    /// it. Default: a quarter of the physical memory.
    public var memoryLimit: Int
    /// Called from the decoding threads as files are done.
    public var progress: (@Sendable (ImageFolderProgress) -> Void)?
    /// Called with a one-line message (naming the file) when the decode cache cannot be written.
    public var warning: (@Sendable (String) -> Void)?

    /// The default image size never exceeds this, whatever the images' size.
    public static let largestDefaultSize = 64

    public init(
        imageSize: ImageSize? = nil, channels: Int? = nil, cacheFolder: URL? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        memoryLimit: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4),
        progress: (@Sendable (ImageFolderProgress) -> Void)? = nil, warning: (@Sendable (String) -> Void)? = nil
    ) {
        self.imageSize = imageSize
        self.channels = channels
        self.cacheFolder = cacheFolder
        self.threads = max(1, threads)
        self.memoryLimit = memoryLimit
        self.progress = progress
        self.warning = warning
    }
}

/// How far decoding an image folder has come.
public struct ImageFolderProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        /// Reading headers to choose the default image size and channels.
        case surveying = "reading image headers"
        case decoding = "decoding images"
    }

    public var phase: Phase
    public var done: Int
    public var total: Int
}

/// An image file left out of the dataset, and why.
public struct SkippedImageFile: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Relative to the dataset folder.
    public var path: String
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}

/// What `convtop data info` reports about an image folder beyond the images themselves.
public struct ImageFolderSummary: Sendable, Equatable {
    /// The split folders found, relative to the dataset folder ("" for the folder itself).
    public var splitFolders: [String: String]
    /// Upright sizes of the decoded files, before resizing.
    public var widths: [Int]
    public var heights: [Int]
    /// How many decoded files store each colour mode.
    public var colourModes: [ImageColourMode: Int]
    /// True when the pixels came from the decode cache.
    public var fromCache: Bool
}
