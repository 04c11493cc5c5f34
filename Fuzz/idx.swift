// libFuzzer target for the IDX reader (Fashion-MNIST), raw and gzip (built by Fuzz/run.sh).
// The first input byte picks the variant: bit 0 gzip, bit 1 three dimensions (images) instead of
// one (labels); the rest is the file. Any bytes must give contents or a DataError, and never an
// allocation beyond what the file can hold.
import Foundation

@testable import ConvData

private let raw = ScratchFile(suffix: ".idx"), compressed = ScratchFile(suffix: ".idx.gz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let gzip = data[0] & 1 != 0, dimensions = data[0] & 2 != 0 ? 3 : 1
    let file = gzip ? compressed : raw
    file.write(data + 1, count: size - 1)
    if let contents = try? IDXFile.read(file.url, dimensionCount: dimensions),
        contents.dimensions.reduce(1, *) != contents.bytes.count
    {
        fatalError("IDX contents disagree with their dimensions")
    }
    return 0
}
