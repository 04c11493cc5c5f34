import Foundation

/// The file through which a target hands each input to a reader that only reads files.
///
/// Written with plain stdio: Foundation's `Data.write` calls fsync, which holds the fuzzer to
/// about a hundred inputs a second.
struct ScratchFile {
    let url: URL

    /// A file in the temporary folder, unique to this process, named with `suffix` (".gz").
    init(suffix: String) {
        url = URL(fileURLWithPath: NSTemporaryDirectory() + "convtop-fuzz-\(getpid())\(suffix)")
    }

    /// Replaces the file's contents with `count` bytes at `bytes`.
    func write(_ bytes: UnsafePointer<UInt8>, count: Int) {
        guard let file = fopen(url.path, "wb") else { fatalError("cannot write \(url.path)") }
        fwrite(bytes, 1, count, file)
        fclose(file)
    }
}
