import Glibc

/// Memory for the engine's large buffers (tensors, packed operands), on 2 MB pages where it is
/// large enough. The kernels read a batch 16 images at a time, each image a whole map or more
/// away from the next, so with 4 KB pages nearly every line such a read touched was on a page of
/// its own and missed the address-translation cache. Linux gives transparent huge pages to memory
/// that asks for them (`madvise`, Debian's default mode) and is aligned to 2 MB; buffers of 4 MB
/// or more get both, their size rounded up to whole huge pages (at most a third more), smaller ones
/// a cache line's alignment.
enum BufferMemory {
    private static let hugePage = 2 << 20

    /// Uninitialised memory for `count` elements; release it with `free`.
    static func allocate<Element>(_ count: Int, of _: Element.Type = Element.self) -> UnsafeMutablePointer<Element> {
        let bytes = max(count * MemoryLayout<Element>.stride, 64)
        var memory: UnsafeMutableRawPointer?
        if bytes >= 2 * hugePage {
            let rounded = (bytes + hugePage - 1) / hugePage * hugePage
            guard posix_memalign(&memory, hugePage, rounded) == 0, let memory else {
                fatalError("out of memory: \(rounded) bytes for a buffer")
            }
            // Only a hint: without huge pages the buffer works the same, slower.
            _ = madvise(memory, rounded, MADV_HUGEPAGE)
            return memory.bindMemory(to: Element.self, capacity: count)
        }
        guard posix_memalign(&memory, 64, bytes) == 0, let memory else {
            fatalError("out of memory: \(bytes) bytes for a buffer")
        }
        return memory.bindMemory(to: Element.self, capacity: count)
    }

    static func free<Element>(_ pointer: UnsafeMutablePointer<Element>) { Glibc.free(pointer) }
}
