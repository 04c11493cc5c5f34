// libFuzzer target for image loading (built by Fuzz/run.sh): decode (PNG or JPEG by content,
// EXIF orientation), channel conversion and the antialiased resize and crop. The first input
// byte picks the stored size (1 to 64) and the channels (grey or RGB); the rest is the file.
// Any bytes must give a square of the chosen size or an ImageDecodingError.
import Foundation

@testable import ConvData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImages(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let side = Int(data[0] & 63) + 1
    let channels = data[0] & 64 != 0 ? 1 : 3
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    guard let header = try? ImageDecoder.header(bytes), let image = try? ImageDecoder.decode(bytes) else { return 0 }
    if image.width != header.width || image.height != header.height
        || image.pixels.count != image.width * image.height * image.channels
    {
        fatalError("decoded \(image.width)x\(image.height) but the header says \(header.width)x\(header.height)")
    }
    let square = ImageResampler.centreCrop(image.converted(toChannels: channels), to: ImageSize(integerLiteral: side))
    if square.count != side * side * channels {
        fatalError("resized to \(square.count) bytes, not \(side)x\(side)x\(channels)")
    }
    return 0
}
