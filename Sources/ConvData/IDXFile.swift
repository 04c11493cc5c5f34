import Foundation

/// Reads MNIST-family IDX files (`train-images-idx3-ubyte[.gz]`, ...) of unsigned bytes.
///
/// The header is big-endian: two zero bytes, the type code 0x08 (unsigned byte), the number of
/// dimensions, then one UInt32 per dimension; the data follows in row-major order.
enum IDXFile {
    /// The dimensions and the data of one IDX file.
    struct Contents {
        var dimensions: [Int]
        var bytes: [UInt8]
    }

    /// Reads an IDX file with exactly `dimensionCount` dimensions.
    static func read(_ url: URL, dimensionCount: Int) throws -> Contents {
        let file = url.lastPathComponent
        let source = try openByteSource(url)
        let magicBytes = try source.read(4)
        let magic = magicBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard magicBytes[0] == 0, magicBytes[1] == 0, magicBytes[2] == 0x08 else {
            throw DataError.badMagic(file: file, found: magic)
        }
        guard Int(magicBytes[3]) == dimensionCount else {
            throw DataError.badDimensionCount(file: file, expected: dimensionCount, found: Int(magicBytes[3]))
        }
        let header = try source.read(4 * dimensionCount)
        let dimensions = (0..<dimensionCount).map { d in
            header[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        var total = 1
        for size in dimensions {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= source.maximumInflatedSize else {
                throw DataError.malformed(
                    file: file,
                    detail: "header dimensions \(dimensions.map(String.init).joined(separator: "x")) "
                        + "need more bytes than the file can hold")
            }
            total = product
        }
        var bytes = [UInt8](repeating: 0, count: total)
        try bytes.withUnsafeMutableBytes { try source.read(into: $0) }
        try source.expectEnd()
        return Contents(dimensions: dimensions, bytes: bytes)
    }
}
