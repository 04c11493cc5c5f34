import Testing

/// A convolution layer and batch a kernel test runs on: channels, map size, images and threads.
struct ConvLayerCase: CustomTestStringConvertible, Sendable {
    let channels: Int, outChannels: Int, height: Int, width: Int, batch: Int, threads: Int
    var testDescription: String {
        "\(channels)->\(outChannels) on \(height)x\(width), batch \(batch), \(threads) threads"
    }
}
