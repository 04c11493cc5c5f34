import Synchronization

/// Packing buffers for one thread of a `GEMM` call, allocated once and reused by later calls.
final class GEMMWorkspace: @unchecked Sendable {
    // Unchecked because a workspace has one user at a time: `withWorkspaces` takes it out of the
    // shared free list for the duration of one call and puts it back afterwards.

    /// Packed block of op(A): `GEMM.blockRows` x `GEMM.blockDepth`.
    let packedA: UnsafeMutablePointer<Float>
    /// Packed block of op(B): `GEMM.blockDepth` x `GEMM.blockColumns`.
    let packedB: UnsafeMutablePointer<Float>
    /// The transposed product of `multiplyTransposed`, before it is added into C; grows on demand.
    private(set) var transposed: UnsafeMutablePointer<Float>
    private var transposedCapacity: Int

    private static let free = Mutex<[GEMMWorkspace]>([])

    private init() {
        packedA = .allocate(capacity: GEMM.blockRows * GEMM.blockDepth)
        packedB = .allocate(capacity: GEMM.blockDepth * GEMM.blockColumns)
        transposedCapacity = 0
        transposed = BufferMemory.allocate(0)
    }

    deinit {
        packedA.deallocate()
        packedB.deallocate()
        BufferMemory.free(transposed)
    }

    /// Makes `transposed` hold at least `count` floats.
    func reserveTransposed(_ count: Int) {
        guard count > transposedCapacity else { return }
        BufferMemory.free(transposed)
        transposed = BufferMemory.allocate(count)
        transposedCapacity = count
    }

    /// Lends one workspace to `body`; no other caller uses it until `body` returns.
    static func withWorkspace<R>(_ body: (GEMMWorkspace) -> R) -> R {
        let workspace = free.withLock { $0.popLast() } ?? GEMMWorkspace()
        defer { free.withLock { $0.append(workspace) } }
        return body(workspace)
    }

    /// Lends `count` workspaces to `body`; no other caller uses them until `body` returns.
    static func withWorkspaces<R>(count: Int, _ body: ([GEMMWorkspace]) -> R) -> R {
        var lent = free.withLock { free in
            let taken = Array(free.suffix(count))
            free.removeLast(taken.count)
            return taken
        }
        while lent.count < count { lent.append(GEMMWorkspace()) }
        defer { free.withLock { $0.append(contentsOf: lent) } }
        return body(lent)
    }
}
