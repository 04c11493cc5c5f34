/// A buffer of `Element`s that grows on demand and is reused by later calls, for the packed bf16
/// operands. New memory is zero, so a kernel may read parts no call has written yet.
final class BF16Scratch<Element: FixedWidthInteger> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private var capacity: Int

    init(count: Int = 0) {
        pointer = BufferMemory.allocate(count)
        pointer.initialize(repeating: 0, count: count)
        capacity = count
    }

    deinit { BufferMemory.free(pointer) }

    /// Makes the buffer hold at least `count` elements; the contents are not kept.
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        BufferMemory.free(pointer)
        pointer = BufferMemory.allocate(count)
        pointer.initialize(repeating: 0, count: count)
        capacity = count
    }
}
