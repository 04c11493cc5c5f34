import ConvData
import Foundation
import Testing

/// Reads the shared image folders when `CONVTOP_IMAGE_FOLDERS` names them (`.ci/run` sets it);
/// skipped otherwise, since users do not have them.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONVTOP_IMAGE_FOLDERS"] != nil))
struct ImageFolderRealDataTests {
    static var root: URL { URL(fileURLWithPath: ProcessInfo.processInfo.environment["CONVTOP_IMAGE_FOLDERS"]!) }

    @Test func awkwardLoadsEveryGoodFileAndNamesEveryBrokenOne() throws {
        let dataset = try Dataset.load(from: Self.root.appendingPathComponent("awkward"))
        #expect(dataset.classNames == ["broken", "exif-rotated", "jpeg-variants", "odd-sizes", "png-variants"])
        #expect(dataset.train.classCounts(classCount: 5) == [2, 3, 30, 25, 35])
        #expect(
            dataset.skippedFiles.map(\.path) == [
                "broken/animated.gif", "broken/bad-crc.png", "broken/notes.jpg", "broken/photo.webp",
                "broken/truncated.jpg", "broken/truncated.png", "broken/zero-bytes.png",
            ])
        #expect(dataset.skippedFiles.first?.reason == "GIF images are not supported (only PNG and JPEG)")
        #expect(dataset.train.fileNames.contains("broken/nested/deeper/fine.png"))
        let summary = try #require(dataset.imageFolder)
        #expect(
            summary.colourModes[.cmyk] == 5 && summary.colourModes[.grey16] == 5 && summary.colourModes[.palette] == 5)
        #expect(summary.widths.max() == 1024 && summary.heights.min() == 5)
        #expect(dataset.dimensions == ImageDimensions(channels: 3, height: 32, width: 32))
    }

    @Test func exifRotatedFilesArePortraitOnceUpright() throws {
        let folder = Self.root.appendingPathComponent("awkward/exif-rotated")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let image = try ImageDecoder.decode([UInt8](Data(contentsOf: folder.appendingPathComponent(name))))
            #expect(image.width == 48 && image.height == 64, "\(name)")
        }
    }

    @Test func cifar10MiniHasTrainAndValidationSplits() throws {
        let dataset = try Dataset.load(from: Self.root.appendingPathComponent("cifar10-mini"))
        #expect(dataset.classNames.count == 10 && dataset.classNames.first == "airplane")
        #expect(dataset.train.count == 4000 && dataset.validation.count == 1000 && dataset.test.count == 0)
        #expect(dataset.train.classCounts(classCount: 10) == Array(repeating: 400, count: 10))
        #expect(dataset.dimensions == ImageDimensions(channels: 3, height: 32, width: 32))
        #expect(dataset.skippedFiles.isEmpty)
    }
}
