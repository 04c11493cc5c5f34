import ConvData
import Foundation
import Testing

@Suite struct MD5Tests {
    /// The test suite of RFC 1321, appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func matchesTheRFCTestSuite(text: String, digest: String) {
        #expect(MD5.hexDigest(of: Array(text.utf8)) == digest)
    }

    @Test func feedingInPiecesGivesTheSameDigest() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        var pieces = MD5()
        var start = 0
        for size in [1, 63, 64, 65, 127, 3, 200, 477] {
            pieces.update(Array(bytes[start..<(start + size)]))
            start += size
        }
        #expect(start == bytes.count)
        #expect(pieces.hexDigest() == MD5.hexDigest(of: bytes))
    }

    /// The Debian package's files, whose MD5 `md5sum` reports (see Makefile: make test installs it).
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")))
    func agreesWithMd5sumOnARealFile() throws {
        let url = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        process.arguments = [url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(32)
        #expect(MD5.hexDigest(of: [UInt8](try Data(contentsOf: url))) == String(expected))
    }
}
