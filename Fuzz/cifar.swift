// libFuzzer target for the CIFAR binary reader (built by Fuzz/run.sh). The first input byte
// picks CIFAR-10 (even) or CIFAR-100 fine labels (odd); the rest is the batch file. Any bytes
// must give images or a DataError.
import Foundation

@testable import ConvData

private let scratch = ScratchFile(suffix: ".bin")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let hundred = data[0] & 1 != 0
    scratch.write(data + 1, count: size - 1)
    if let images = try? CIFARBinary.read(
        [scratch.url], labelBytes: hundred ? 2 : 1, labelOffset: hundred ? 1 : 0,
        classCount: hundred ? 100 : 10),
        images.labels.contains(where: { $0 < 0 || $0 >= (hundred ? 100 : 10) })
    {
        fatalError("CIFAR label out of range after a successful read")
    }
    return 0
}
