// libFuzzer target for the archive extractor (built by Fuzz/run.sh). The first input byte picks
// .tar (even) or .tar.gz (odd); the rest is the archive. It is extracted into sandbox/out; any
// bytes must give a DataError or files inside out, never anything written elsewhere in sandbox.
import Foundation

@testable import ConvData

private let plain = ScratchFile(suffix: ".tar"), compressed = ScratchFile(suffix: ".tar.gz")
private let sandbox = URL(fileURLWithPath: NSTemporaryDirectory() + "convtop-fuzz-tar-\(getpid())")
private let out = sandbox.appendingPathComponent("out")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let archive = data[0] & 1 != 0 ? compressed : plain
    archive.write(data + 1, count: size - 1)
    try? FileManager.default.removeItem(at: sandbox)
    try! FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    _ = try? TarArchive.extract(archive.url, to: out)
    let contents = try! FileManager.default.contentsOfDirectory(atPath: sandbox.path)
    if contents != ["out"] { fatalError("extraction wrote outside its folder: \(contents)") }
    return 0
}
