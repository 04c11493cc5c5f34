import Foundation

/// Images as bytes in one buffer, each found by its offset: an array in memory, or a file used in
/// place through a memory map (an image folder's decode cache, when its images are too many to
/// hold in memory; see `ImageFolderOptions.memoryLimit`).
///
/// Selecting images (a split, a hold-out, a shuffle's subset) shares the buffer and copies only
/// the offsets.
public struct PackedImages: Sendable {
    enum Buffer: Sendable {
        case memory([UInt8])
        case mapped(MappedFile)
    }

    let buffer: Buffer
    /// Where each image starts in the buffer.
    let offsets: [Int]

    init(_ buffer: Buffer, offsets: [Int]) {
        self.buffer = buffer
        self.offsets = offsets
    }

    /// `count` images of `size` bytes each, one after another in `bytes`.
    init(contiguous bytes: [UInt8], size: Int, count: Int) {
        self.init(.memory(bytes), offsets: (0..<count).map { $0 * size })
    }

    public var count: Int { offsets.count }

    /// True when the bytes are read from a memory-mapped file rather than held in memory.
    public var isMapped: Bool {
        if case .mapped = buffer { return true }
        return false
    }

    /// `body` with the buffer's first byte; image `i` starts at `offsets[i]` from it.
    func withBase<R>(_ body: (UnsafePointer<UInt8>) throws -> R) rethrows -> R {
        switch buffer {
        case .memory(let bytes):
            // An empty array may have no address; with no images, the pointer is never read.
            try bytes.withUnsafeBufferPointer { try body($0.baseAddress ?? UnsafePointer(bitPattern: 1)!) }
        case .mapped(let file):
            try body(file.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The `length` bytes of image `index`, copied.
    func bytes(of index: Int, length: Int) -> [UInt8] {
        withBase { Array(UnsafeBufferPointer(start: $0 + offsets[index], count: length)) }
    }

    /// The images at `indices`, in that order, sharing this buffer.
    func selecting(_ indices: [Int]) -> PackedImages {
        PackedImages(buffer, offsets: indices.map { offsets[$0] })
    }

    /// Every image (`length` bytes each), in order, copied into one array.
    func copied(length: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count * length)
        withBase { base in
            for offset in offsets { bytes.append(contentsOf: UnsafeBufferPointer(start: base + offset, count: length)) }
        }
        return bytes
    }
}

/// A file's bytes mapped into memory (POSIX `mmap`), unmapped when the last reference goes.
///
/// `@unchecked Sendable` is safe because the mapping is read-only once `init` returns (a
/// writable mapping is written only by `ImageCache` while it builds the file, before the value
/// is shared) and lives as long as this object.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    /// Maps `path` for reading; nil when it cannot be opened or mapped.
    convenience init?(readingFrom path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        self.init(descriptor: descriptor, size: Int(status.st_size), writable: false)
    }

    /// Creates (or truncates) `path` at `size` bytes of zeros and maps it for writing; throws the
    /// system's reason when it cannot. Every block is allocated first: a store through the mapping
    /// into a block that a full disk cannot provide would end the process with SIGBUS.
    static func creating(_ path: String, size: Int) throws -> MappedFile {
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CreationError(code: errno) }
        defer { close(descriptor) }
        // posix_fallocate returns its error instead of setting errno.
        let allocated = size > 0 ? posix_fallocate(descriptor, 0, off_t(size)) : 0
        guard allocated == 0 else { throw CreationError(code: allocated) }
        guard let mapping = MappedFile(descriptor: descriptor, size: size, writable: true) else {
            throw CreationError(code: errno)
        }
        return mapping
    }

    /// Why a file could not be created and mapped: the system's error.
    struct CreationError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    private init?(descriptor: Int32, size: Int, writable: Bool) {
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let address = mmap(nil, size, protection, MAP_SHARED, descriptor, 0), address != MAP_FAILED else {
            return nil
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// The bytes, for writing while the file is built.
    var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(mutating: bytes) }

    deinit {
        if let address = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: address), bytes.count) }
    }
}
