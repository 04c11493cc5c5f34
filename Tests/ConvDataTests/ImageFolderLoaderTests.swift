import Foundation
import ImageFixtures
import Testing

@testable import ConvData

@Suite struct ImageFolderLoaderTests {
    /// A flat 6x4 RGB PNG of one colour.
    static func flatPNG(_ rgb: [UInt8], width: Int = 6, height: Int = 4) -> [UInt8] {
        ImageFiles.png(
            width: width, height: height, colour: .rgb, samples: Array((0..<(width * height)).map { _ in rgb }.joined())
        )
    }

    static func flatGreyPNG(_ value: UInt8, width: Int = 6, height: Int = 4) -> [UInt8] {
        ImageFiles.png(
            width: width, height: height, colour: .grey, samples: [UInt8](repeating: value, count: width * height))
    }

    /// cats (3 PNGs, one nested) and dogs (2 JPEGs), plus files that must be ignored or skipped.
    static func writePets(to root: URL) throws {
        try ImageFiles.write(flatPNG([200, 10, 10]), to: root, "cats/a.png")
        try ImageFiles.write(flatPNG([190, 20, 20]), to: root, "cats/b.PNG")
        try ImageFiles.write(flatPNG([180, 30, 30], width: 8, height: 8), to: root, "cats/deeper/c.png")
        let blue = Array((0..<64).map { _ in [10, 10, 200] as [UInt8] }.joined())
        try ImageFiles.write(ImageFiles.jpeg(width: 8, height: 8, samples: blue, channels: 3), to: root, "dogs/d.jpg")
        try ImageFiles.write(
            ImageFiles.jpeg(width: 8, height: 8, samples: blue, channels: 3, progressive: true),
            to: root, "dogs/e.JPEG")
        try ImageFiles.write(Array("not an image".utf8), to: root, "dogs/notes.txt")
        try ImageFiles.write([0, 0, 0, 1], to: root, "dogs/.DS_Store")
        try ImageFiles.write(flatPNG([1, 2, 3]), to: root, ".hidden/x.png")
        try ImageFiles.write(Array("plain text".utf8), to: root, "dogs/fake.jpg")
        try ImageFiles.write([], to: root, "cats/empty.png")
    }

    @Test func readsClassFoldersRecursivelyAndSkipsBrokenFilesWithReasons() throws {
        let temp = try TemporaryFolder()
        try Self.writePets(to: temp.url)
        let dataset = try Dataset.load(from: temp.url, images: ImageFolderOptions(threads: 2))
        #expect(dataset.format == .imageFolder)
        #expect(dataset.name == temp.url.lastPathComponent)
        #expect(dataset.classNames == ["cats", "dogs"])
        #expect(dataset.train.labels == [0, 0, 0, 1, 1])
        #expect(
            dataset.train.fileNames == ["cats/a.png", "cats/b.PNG", "cats/deeper/c.png", "dogs/d.jpg", "dogs/e.JPEG"])
        #expect(
            dataset.skippedFiles == [
                SkippedImageFile(path: "cats/empty.png", reason: "zero bytes"),
                SkippedImageFile(path: "dogs/fake.jpg", reason: ImageDecodingError.notAnImage.description),
            ])
        // Median shorter side of the usable training files (4, 4, 8, 8, 8) and colour files.
        #expect(dataset.dimensions == ImageDimensions(channels: 3, height: 8, width: 8))
        let firstRed = dataset.train.image(at: 0)
        #expect(
            firstRed.prefix(64).allSatisfy { $0 == 200 } && firstRed.dropFirst(64).prefix(64).allSatisfy { $0 == 10 })
        let blue = Array(dataset.train.image(at: 4))
        #expect(blue[128..<192].allSatisfy { abs(Int($0) - 200) <= 4 })
        let summary = try #require(dataset.imageFolder)
        #expect(summary.colourModes == [.rgb: 5])
        #expect(summary.widths.sorted() == [6, 6, 8, 8, 8])
        #expect(summary.splitFolders == ["train": ""])
    }

    @Test func chosenSizeAndChannelsOverrideTheDefaults() throws {
        let temp = try TemporaryFolder()
        try Self.writePets(to: temp.url)
        let dataset = try Dataset.load(from: temp.url, images: ImageFolderOptions(imageSize: 5, channels: 1))
        #expect(dataset.dimensions == ImageDimensions(channels: 1, height: 5, width: 5))
        // PIL's luma of (200, 10, 10).
        #expect(dataset.train.image(at: 0).allSatisfy { $0 == 67 })
    }

    @Test func aWidthByHeightSizeStoresImagesOfThatShape() throws {
        let temp = try TemporaryFolder()
        try Self.writePets(to: temp.url)
        let size = ImageSize(width: 6, height: 3)
        let dataset = try Dataset.load(from: temp.url, images: ImageFolderOptions(imageSize: size))
        #expect(dataset.dimensions == ImageDimensions(channels: 3, height: 3, width: 6))
        let red = dataset.train.image(at: 0)
        #expect(red.count == 54 && red.prefix(18).allSatisfy { $0 == 200 } && red.suffix(18).allSatisfy { $0 == 10 })
        #expect(
            Array(dataset.train.image(at: 2))
                == (try ImageFolderLoader.centreCropped(
                    file: temp.url.appendingPathComponent("cats/deeper/c.png").path, size: size, channels: 3)))
    }

    @Test func greyFoldersDefaultToOneChannel() throws {
        let temp = try TemporaryFolder()
        try ImageFiles.write(Self.flatGreyPNG(30), to: temp.url, "a/1.png")
        try ImageFiles.write(Self.flatGreyPNG(60), to: temp.url, "b/1.png")
        let grey = DecodedImage(
            width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 90, count: 64), colourMode: .grey)
        try ImageFiles.write(
            ImageFiles.jpeg(width: 8, height: 8, samples: grey.pixels, channels: 1), to: temp.url, "b/2.jpg")
        let dataset = try Dataset.load(from: temp.url)
        #expect(dataset.dimensions.channels == 1)
        #expect(dataset.train.image(at: 0).allSatisfy { $0 == 30 })
    }

    @Test func splitFoldersBecomeValidationAndTest() throws {
        let temp = try TemporaryFolder()
        for (split, value) in [("train", UInt8(10)), ("val", 20), ("test", 30)] {
            for name in ["x", "y"] {
                try ImageFiles.write(Self.flatGreyPNG(value), to: temp.url, "\(split)/\(name)/1.png")
            }
        }
        try ImageFiles.write(Self.flatGreyPNG(11), to: temp.url, "train/y/2.png")
        let dataset = try Dataset.load(from: temp.url)
        #expect(dataset.train.count == 3 && dataset.validation.count == 2 && dataset.test.count == 2)
        #expect(dataset.validation.fileNames == ["val/x/1.png", "val/y/1.png"])
        #expect(dataset.test.image(at: 1).allSatisfy { $0 == 30 })
        #expect(dataset.imageFolder?.splitFolders == ["train": "train", "validation": "val", "test": "test"])
        #expect(throws: DataError.self) { try dataset.holdingOutValidation(1) }
    }

    @Test func aSplitWithOtherClassesIsAnErrorNamingIt() throws {
        let temp = try TemporaryFolder()
        try ImageFiles.write(Self.flatGreyPNG(1), to: temp.url, "train/x/1.png")
        try ImageFiles.write(Self.flatGreyPNG(1), to: temp.url, "train/y/1.png")
        try ImageFiles.write(Self.flatGreyPNG(1), to: temp.url, "valid/x/1.png")
        try ImageFiles.write(Self.flatGreyPNG(1), to: temp.url, "valid/z/1.png")
        #expect(
            throws: DataError.malformed(
                file: temp.url.appendingPathComponent("valid").path,
                detail: "classes differ from train/ (missing y; extra z)")
        ) {
            try Dataset.load(from: temp.url)
        }
    }

    @Test func aClassWithNoUsableImageIsAnErrorNamingItsFolder() throws {
        let temp = try TemporaryFolder()
        try ImageFiles.write(Self.flatGreyPNG(1), to: temp.url, "good/1.png")
        try ImageFiles.write(Array("GIF89a".utf8), to: temp.url, "bad/1.gif")
        #expect(
            throws: DataError.malformed(
                file: temp.url.appendingPathComponent("bad").path,
                detail: "no usable PNG or JPEG image")
        ) {
            try Dataset.load(from: temp.url)
        }
    }

    @Test func validationHoldOutIsStratifiedAndTheSameEveryTime() throws {
        let temp = try TemporaryFolder()
        for index in 0..<12 { try ImageFiles.write(Self.flatGreyPNG(UInt8(index)), to: temp.url, "a/\(index).png") }
        for index in 0..<8 {
            try ImageFiles.write(Self.flatGreyPNG(UInt8(100 + index)), to: temp.url, "b/\(index).png")
        }
        let dataset = try Dataset.load(from: temp.url)
        let held = try dataset.holdingOutValidation(5)
        // 5 of 20: 3 of a's 12 and 2 of b's 8.
        #expect(held.validation.classCounts(classCount: 2) == [3, 2])
        #expect(held.train.count == 15)
        #expect(Set(held.train.fileNames).isDisjoint(with: held.validation.fileNames))
        #expect(try dataset.holdingOutValidation(5).validation.fileNames == held.validation.fileNames)
        #expect(held.validation.fileNames != ["a/10.png", "a/11.png", "a/9.png", "b/6.png", "b/7.png"])
    }

    @Test func decodingOnOneOrTwoThreadsGivesTheSameImages() throws {
        let temp = try TemporaryFolder()
        try Self.writePets(to: temp.url)
        let one = try Dataset.load(from: temp.url, images: ImageFolderOptions(threads: 1))
        let two = try Dataset.load(from: temp.url, images: ImageFolderOptions(threads: 2))
        #expect(one.train.pixels == two.train.pixels)
        #expect(one.skippedFiles == two.skippedFiles)
    }

    @Test func symbolicLinksToImagesAndClassFoldersAreFollowed() throws {
        let temp = try TemporaryFolder()
        let elsewhere = try temp.folder("elsewhere")
        try ImageFiles.write(Self.flatGreyPNG(50), to: elsewhere, "real/1.png")
        try ImageFiles.write(Self.flatGreyPNG(70), to: elsewhere, "2.png")
        let root = try temp.folder("data")
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("linked"),
            withDestinationURL: elsewhere.appendingPathComponent("real"))
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("direct"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("direct/2.png"),
            withDestinationURL: elsewhere.appendingPathComponent("2.png"))
        // A link back up the tree must not be walked forever.
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("direct/loop"), withDestinationURL: root)
        let dataset = try Dataset.load(from: root)
        #expect(dataset.classNames == ["direct", "linked"])
        #expect(dataset.train.fileNames.contains("direct/2.png") && dataset.train.fileNames.contains("linked/1.png"))
        #expect(
            dataset.train.image(at: dataset.train.fileNames.firstIndex(of: "direct/2.png")!).allSatisfy { $0 == 70 })
    }
}
