// libFuzzer target for the network file parser and shape checker (built by Fuzz/run.sh). Any
// bytes must give a network or a NetworkError, without a crash, an overflow or a huge allocation;
// a network that fits an input must end in the class scores and count its parameters exactly.
@testable import ConvEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetwork(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let file = try? NetworkFile(text: text, file: "fuzz.net", name: "fuzz") else { return 0 }
    for (input, classes) in [([3, 32, 32], 10), ([1, 28, 28], 2)] {
        guard let network = try? file.resolve(inputShape: input, classes: classes) else { continue }
        if network.layers.last?.outputShape != [classes] {
            fatalError("a resolved network does not end in the class scores")
        }
        let counted = network.parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
        if counted != network.parameterCount || counted > ResolvedNetwork.parameterLimit {
            fatalError("parameter count \(counted) disagrees or exceeds the limit")
        }
    }
    return 0
}
