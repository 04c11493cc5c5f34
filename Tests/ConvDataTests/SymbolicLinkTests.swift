import ConvData
import Foundation
import Testing

/// Dataset files that are symbolic links are read through the link, not measured as the link.
@Suite struct SymbolicLinkTests {
    /// Moves every file of `folder` elsewhere and leaves a symbolic link to it in its place.
    static func replaceFilesWithLinks(in folder: URL, movingTo elsewhere: URL) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let file = folder.appendingPathComponent(name), target = elsewhere.appendingPathComponent(name)
            try FileManager.default.moveItem(at: file, to: target)
            try FileManager.default.createSymbolicLink(at: file, withDestinationURL: target)
        }
    }

    @Test func cifarBatchesBehindSymbolicLinksLoad() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), real = try temp.folder("real")
        try DatasetFiles.writeCIFAR10(to: data, perBatch: 4, testCount: 3)
        try Self.replaceFilesWithLinks(in: data, movingTo: real)
        let dataset = try Dataset.load(from: data)
        #expect(dataset.train.count == 20 && dataset.test.count == 3)
        #expect(Array(dataset.train.image(at: 13)) == (0..<3072).map { DatasetFiles.pixel(image: 13, offset: $0) })
    }

    @Test func idxFilesBehindSymbolicLinksLoad() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), real = try temp.folder("real")
        try DatasetFiles.writeIDX(to: data, trainLabels: [1, 2, 3], testLabels: [4])
        try Self.replaceFilesWithLinks(in: data, movingTo: real)
        let dataset = try Dataset.load(from: data)
        #expect(dataset.train.labels == [1, 2, 3] && dataset.test.labels == [4])
    }

    @Test func aDatasetFolderThatIsALinkLoads() throws {
        let temp = try TemporaryFolder()
        let real = try temp.folder("real")
        try DatasetFiles.writeCIFAR10(to: real)
        let link = temp.url.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        #expect(try Dataset.load(from: link).train.count == 20)
    }
}
