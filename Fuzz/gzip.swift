// libFuzzer target for the gzip stream (built by Fuzz/run.sh). The first two input bytes give how
// many inflated bytes to ask for (as a reader whose header promised them would); the rest is the
// compressed file.
@testable import ConvData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 2 else { return 0 }
    let wanted = Int(data[0]) << 8 | Int(data[1])
    guard
        let stream = try? GzipStream(
            file: "fuzz.gz", compressed: Array(UnsafeBufferPointer(start: data + 2, count: size - 2))),
        wanted <= stream.maximumInflatedSize
    else { return 0 }
    _ = try? stream.read(wanted)
    try? stream.expectEnd()
    return 0
}
