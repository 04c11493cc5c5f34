import CBF16Kernels

/// The element-wise products of a Winograd kernel's forward pass (and so its input gradient) in
/// bf16 (`WinogradConv`, `WinogradF4Conv`): M[e] = U[e] V[e] with bf16 operands and fp32 sums, as
/// `vdpbf16ps` reads them. The transforms stay fp32 and their results are rounded once each, as
/// autocast rounds a convolution's operands: U per element and 8-channel tile is packed in
/// channel pairs once per call (`cbf16_pack`), an item's V once per item, and each (element,
/// channel tile) product is `cbf16_multiply_packed`.
final class WinogradBF16Products {
    private let elements: Int, channels: Int, channelTiles: Int, columns: Int
    private let weightPairs = BF16Scratch<UInt32>(), patchPairs = BF16Scratch<UInt32>()
    /// Words of one element's packed U for one channel tile, and of one element's packed V.
    private let weightWords: Int, patchWords: Int

    /// Products of `elements` GEMMs with depth `channels`, `outChannels` rows (in 8-row tiles) and
    /// `columns` columns, a multiple of the micro-kernel's.
    init(elements: Int, channels: Int, outChannels: Int, columns: Int) {
        self.elements = elements
        self.channels = channels
        channelTiles = (outChannels + MicroKernel.rows - 1) / MicroKernel.rows
        self.columns = columns
        weightWords = cbf16_packed_words(MicroKernel.rows, channels, MicroKernel.rows)
        patchWords = cbf16_packed_words(columns, channels, MicroKernel.columns)
    }

    /// Room for U's bf16 pairs, for a transform that writes them itself: element e's pairs for
    /// channel tile t from word (e * channel tiles + t) * ceil(C / 2) * 8.
    func reserveWeight() -> UnsafeMutablePointer<UInt32> {
        weightPairs.reserve(elements * channelTiles * weightWords)
        return weightPairs.pointer
    }

    /// U packed in fp32 as (element, channel tile, C, 8) -> its bf16 pairs.
    func packWeight(_ u: UnsafePointer<Float>, pool: ThreadPool) {
        let (tileRows, channels, weightWords) = (MicroKernel.rows, channels, weightWords)
        let pairs = reserveWeight()
        pool.forEachChunk(count: elements * channelTiles, minimumChunk: 4) { range in
            for slice in range {
                cbf16_pack(
                    u + slice * channels * tileRows, tileRows, false, tileRows, channels, tileRows, 0, 1,
                    pairs + slice * weightWords)
            }
        }
    }

    /// Room for the packed V of `tasks` items at once, one per task.
    func reserve(tasks: Int) { patchPairs.reserve(tasks * elements * patchWords) }

    /// Task `task`'s packed V, for a transform that writes the pairs itself, and the words
    /// between its elements.
    func patches(task: Int) -> (pairs: UnsafeMutablePointer<UInt32>, elementWords: Int) {
        (patchPairs.pointer + task * elements * patchWords, patchWords)
    }

    /// V[e] (C, columns) of every element, rows `stride` floats apart and elements C rows apart ->
    /// task `task`'s bf16 pairs.
    func packPatches(_ v: UnsafePointer<Float>, stride: Int, task: Int) {
        let pairs = patches(task: task).pairs, width = MicroKernel.columns
        for e in 0..<elements {
            cbf16_pack(
                v + e * channels * stride, stride, false, columns, channels, width, 0, columns / width,
                pairs + e * patchWords)
        }
    }

    /// M[e] (rows, columns) = U[e] (channel tile `tile`, C) x V[e] from task `task`'s pairs for
    /// every element e: M's rows `stride` floats apart, elements 8 rows apart.
    func multiply(task: Int, channelTile tile: Int, rows: Int, stride: Int, into m: UnsafeMutablePointer<Float>) {
        let pairs = patches(task: task).pairs, tileRows = MicroKernel.rows
        for e in 0..<elements {
            cbf16_multiply_packed(
                channels, 1, weightPairs.pointer + (e * channelTiles + tile) * weightWords,
                pairs + e * patchWords, 0, m + e * tileRows * stride, stride, 0, rows, 0, columns)
        }
    }
}
