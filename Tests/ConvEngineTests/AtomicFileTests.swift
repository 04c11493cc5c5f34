import ConvEngine
import Foundation
import Testing

@Suite struct AtomicFileTests {
    /// `Tests/CheckpointWriter`, built next to the test bundle's resources.
    static let writer = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("checkpoint-writer")

    /// The uniform value of a checkpoint-writer file: its version.
    static func version(at path: String) throws -> Float? {
        let values = try SafeTensors(contentsOfFile: path).tensors["weight"]?.float32Values() ?? []
        return values.allSatisfy { $0 == values.first } ? values.first : nil
    }

    static func spawnWriter(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = writer
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    @Test func replacesTheFileAndLeavesNothingElse() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/a.bin"
            try AtomicFile.write([1, 2, 3], to: path)
            try AtomicFile.write([4, 5], to: path)
            #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["a.bin"])
        }
    }

    @Test func namesTheFileWhenTheFolderIsMissing() {
        do {
            try AtomicFile.write([1], to: "/nonexistent/a.bin")
            Issue.record("wrote into a missing folder")
        } catch {
            #expect(error.file == "/nonexistent/a.bin")
            #expect(error.problem.hasPrefix("cannot create /nonexistent/.a.bin.tmp-\(getpid())-"))
            #expect(error.problem.hasSuffix(": No such file or directory; the previous file is unchanged"))
        }
    }

    @Test func fullDiskKeepsTheOldFile() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            try SafeTensors(tensors: ["weight": SafeTensorsTensor(float32: [7, 7], shape: [2])]).write(toFile: path)
            let old = FileManager.default.contents(atPath: path)

            let (process, _, errors) = try Self.spawnWriter([path, "100000", "--file-size-limit", "65536"])
            process.waitUntilExit()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 1)
            #expect(message.hasPrefix("\(path): cannot write \(folder)/.checkpoint.safetensors.tmp-"))
            #expect(message.hasSuffix(": File too large; the previous file is unchanged\n"), "\(message)")
            #expect(FileManager.default.contents(atPath: path) == old)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoint.safetensors"])
        }
    }

    @Test func killDuringSaveKeepsALoadableFile() throws {
        try inTemporaryFolder { folder in
            let path = folder + "/checkpoint.safetensors"
            for round in 0..<8 {
                let (process, output, _) = try Self.spawnWriter([path, "2000000", "--repeat"])
                // Wait for the first complete save, then kill at an arbitrary point of a later one.
                var seen = Data()
                while !seen.contains(UInt8(ascii: "\n")) { seen += output.fileHandleForReading.availableData }
                usleep(UInt32.random(in: 0...60_000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let version = try Self.version(at: path)
                #expect(version != nil && version! >= 1, "round \(round): file holds a mixture of versions")
            }
            // The next save removes what the killed writers left behind.
            try AtomicFile.write([1], to: path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoint.safetensors"])
        }
    }
}
