// libFuzzer target for the safetensors reader (built by Fuzz/run.sh). Any bytes must give a file
// or a CheckpointError, without a crash, an out-of-bounds access or a huge allocation; whatever
// parses must survive a write and re-read.
@testable import ConvEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensors(bytes: bytes, file: "fuzz.safetensors") else { return 0 }
    let reread = try? SafeTensors(bytes: file.serialized(), file: "fuzz.safetensors")
    if reread != file { fatalError("a parsed file changed on a write/read round trip") }
    return 0
}
