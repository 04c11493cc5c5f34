import CZlib
import Foundation

/// Writes small datasets in the exact on-disk formats, with pixel values derived from the image
/// index so that a test can tell which image landed where.
enum DatasetFiles {
    /// The byte at (image, offset) of a generated dataset.
    static func pixel(image: Int, offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: image &* 31 &+ offset &* 7) }

    /// CIFAR-10 record bytes: label then 3072 pixels, for images `first..<first+labels.count`.
    static func cifar10Records(labels: [UInt8], first: Int = 0) -> [UInt8] {
        var bytes = [UInt8]()
        for (i, label) in labels.enumerated() {
            bytes.append(label)
            bytes += (0..<3072).map { pixel(image: first + i, offset: $0) }
        }
        return bytes
    }

    /// A CIFAR-10 folder: five training batches of `perBatch` images and a test batch.
    static func writeCIFAR10(to folder: URL, perBatch: Int = 4, testCount: Int = 3, names: Bool = true) throws {
        for batch in 0..<5 {
            let labels = (0..<perBatch).map { UInt8((batch * perBatch + $0) % 10) }
            try Data(cifar10Records(labels: labels, first: batch * perBatch))
                .write(to: folder.appendingPathComponent("data_batch_\(batch + 1).bin"))
        }
        try Data(cifar10Records(labels: (0..<testCount).map { UInt8(9 - $0) }, first: 1000))
            .write(to: folder.appendingPathComponent("test_batch.bin"))
        if names {
            try "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
                .write(to: folder.appendingPathComponent("batches.meta.txt"), atomically: true, encoding: .utf8)
        }
    }

    /// A CIFAR-100 folder: records of (coarse, fine) labels and pixels.
    static func writeCIFAR100(
        to folder: URL, train: [(coarse: UInt8, fine: UInt8)],
        test: [(coarse: UInt8, fine: UInt8)]
    ) throws {
        func records(_ labels: [(coarse: UInt8, fine: UInt8)], first: Int) -> Data {
            var bytes = [UInt8]()
            for (i, label) in labels.enumerated() {
                bytes += [label.coarse, label.fine]
                bytes += (0..<3072).map { pixel(image: first + i, offset: $0) }
            }
            return Data(bytes)
        }
        try records(train, first: 0).write(to: folder.appendingPathComponent("train.bin"))
        try records(test, first: 1000).write(to: folder.appendingPathComponent("test.bin"))
        try (0..<100).map { "fine\($0)" }.joined(separator: "\n")
            .write(to: folder.appendingPathComponent("fine_label_names.txt"), atomically: true, encoding: .utf8)
        try (0..<20).map { "coarse\($0)" }.joined(separator: "\n")
            .write(to: folder.appendingPathComponent("coarse_label_names.txt"), atomically: true, encoding: .utf8)
    }

    /// An IDX file: magic 0x0000080N, N big-endian UInt32 dimensions, then the data.
    static func idx(dimensions: [Int], data: [UInt8], magic: [UInt8]? = nil) -> [UInt8] {
        var bytes = magic ?? [0, 0, 0x08, UInt8(dimensions.count)]
        for size in dimensions {
            bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
        }
        return bytes + data
    }

    /// An MNIST-family folder of `height x width` images, gzip-compressed or raw.
    static func writeIDX(
        to folder: URL, trainLabels: [UInt8], testLabels: [UInt8], height: Int = 28,
        width: Int = 28, compressed: Bool = true
    ) throws {
        for (prefix, labels, first) in [("train", trainLabels, 0), ("t10k", testLabels, 1000)] {
            let pixels = (0..<labels.count).flatMap { image in
                (0..<(height * width)).map { pixel(image: first + image, offset: $0) }
            }
            try write(
                idx(dimensions: [labels.count, height, width], data: pixels),
                to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"), compressed: compressed)
            try write(
                idx(dimensions: [labels.count], data: labels),
                to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"), compressed: compressed)
        }
    }

    /// Writes `bytes`, gzip-compressed to `url.gz` when `compressed`.
    static func write(_ bytes: [UInt8], to url: URL, compressed: Bool) throws {
        if compressed {
            try Data(gzip(bytes)).write(to: url.appendingPathExtension("gz"))
        } else {
            try Data(bytes).write(to: url)
        }
    }

    /// A gzip stream of `bytes` (zlib's deflate with a gzip header).
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        // zlib's state points back at its stream, so the stream needs a fixed address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deallocate() }
        // 15 + 16: the largest window, with a gzip header and trailer.
        precondition(
            deflateInit2_(
                stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(bytes.count))) + 32)
        var input = bytes
        let written: Int = input.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                stream.pointee.next_in = input.baseAddress
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = output.baseAddress
                stream.pointee.avail_out = UInt32(output.count)
                precondition(deflate(stream, Z_FINISH) == Z_STREAM_END)
                return output.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output[..<written])
    }
}
