import Foundation
import ImageFixtures
import Testing

@testable import ConvData

@Suite struct ImageCacheTests {
    static func load(_ folder: URL, cache: URL, imageSize: ImageSize? = nil) throws -> Dataset {
        try Dataset.load(from: folder, images: ImageFolderOptions(imageSize: imageSize, cacheFolder: cache))
    }

    static func cacheFile(_ cache: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".images") }
        try #require(names.count == 1)
        return cache.appendingPathComponent(names[0])
    }

    @Test func aSecondLoadReadsTheCacheAndGetsTheSameImages() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), cache = temp.url.appendingPathComponent("cache")
        try ImageFolderLoaderTests.writePets(to: data)
        let first = try Self.load(data, cache: cache)
        let second = try Self.load(data, cache: cache)
        #expect(first.imageFolder?.fromCache == false && second.imageFolder?.fromCache == true)
        #expect(second.train.pixels == first.train.pixels)
        #expect(second.train.fileNames == first.train.fileNames)
        #expect(second.skippedFiles == first.skippedFiles)
        #expect(
            second.imageFolder
                == ImageFolderSummary(
                    splitFolders: first.imageFolder!.splitFolders,
                    widths: first.imageFolder!.widths,
                    heights: first.imageFolder!.heights,
                    colourModes: first.imageFolder!.colourModes, fromCache: true))
        // Nothing was written into the data folder.
        #expect(!FileManager.default.subpaths(atPath: data.path)!.contains { $0.hasSuffix(".images") })
    }

    @Test func aCorruptCacheIsRebuiltNotTrusted() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), cache = temp.url.appendingPathComponent("cache")
        try ImageFolderLoaderTests.writePets(to: data)
        let original = try Self.load(data, cache: cache)
        let file = try Self.cacheFile(cache)
        var bytes = try [UInt8](Data(contentsOf: file))
        bytes[bytes.count - 10] ^= 0x5A
        try Data(bytes).write(to: file)
        let reloaded = try Self.load(data, cache: cache)
        #expect(reloaded.imageFolder?.fromCache == false)
        #expect(reloaded.train.pixels == original.train.pixels)
        try Data(bytes.prefix(40)).write(to: file)
        #expect(try Self.load(data, cache: cache).imageFolder?.fromCache == false)
        #expect(try Self.load(data, cache: cache).imageFolder?.fromCache == true)
    }

    @Test func aChangedFolderOrSizeMakesTheCacheStale() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), cache = temp.url.appendingPathComponent("cache")
        try ImageFolderLoaderTests.writePets(to: data)
        _ = try Self.load(data, cache: cache)
        try ImageFiles.write(ImageFolderLoaderTests.flatPNG([0, 255, 0]), to: data, "cats/a.png")
        let changed = try Self.load(data, cache: cache)
        #expect(changed.imageFolder?.fromCache == false)
        #expect(changed.train.image(at: 0).dropFirst(64).prefix(64).allSatisfy { $0 == 255 })
        let resized = try Self.load(data, cache: cache, imageSize: 4)
        #expect(resized.imageFolder?.fromCache == false && resized.dimensions.height == 4)
        #expect(try Self.load(data, cache: cache, imageSize: 4).imageFolder?.fromCache == true)
        let wide = try Self.load(data, cache: cache, imageSize: ImageSize(width: 6, height: 3))
        #expect(
            wide.imageFolder?.fromCache == false && wide.dimensions == ImageDimensions(channels: 3, height: 3, width: 6)
        )
        let tall = try Self.load(data, cache: cache, imageSize: ImageSize(width: 3, height: 6))
        #expect(
            tall.imageFolder?.fromCache == false && tall.dimensions == ImageDimensions(channels: 3, height: 6, width: 3)
        )
        #expect(
            try Self.load(data, cache: cache, imageSize: ImageSize(width: 3, height: 6)).imageFolder?.fromCache == true)
    }

    @Test func theCacheFolderFollowsTheEnvironment() {
        let home = "/home/someone"
        #expect(
            DatasetLocator(environment: [:], homeDirectory: home).imageCacheFolder.path
                == "/home/someone/.cache/convtop/images")
        #expect(
            DatasetLocator(environment: ["XDG_CACHE_HOME": "/xdg"], homeDirectory: home).imageCacheFolder.path
                == "/xdg/convtop/images")
        #expect(
            DatasetLocator(environment: ["XDG_CACHE_HOME": "/xdg", "CONVTOP_CACHE_DIR": "/mine"], homeDirectory: home)
                .imageCacheFolder.path == "/mine")
    }

    @Test func trainingFilesKeepSourceCopiesForResizedCrops() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), cache = temp.url.appendingPathComponent("cache")
        try ImageFolderLoaderTests.writePets(to: data)
        let wide = ImageFiles.png(
            width: 100, height: 60, colour: .grey, samples: (0..<6000).map { UInt8($0 % 100 * 2) })
        try ImageFiles.write(wide, to: data, "dogs/wide.png")
        for options in [ImageFolderOptions(imageSize: 8), ImageFolderOptions(imageSize: 8, cacheFolder: cache)] {
            let dataset = try Dataset.load(from: data, images: options)
            let sources = try #require(dataset.train.sources)
            // a.png and b.PNG (6x4) are their own sources at 6x4, c.png (8x8) is the stored image,
            // wide.png is kept at 26x16 (covering 16x16, twice the size).
            #expect(sources.widths == [6, 6, 8, 8, 8, 26] && sources.heights == [4, 4, 8, 8, 8, 16])
            let wideIndex = try #require(dataset.train.fileNames.firstIndex(of: "dogs/wide.png"))
            let copy = sources.packed.bytes(of: wideIndex, length: 3 * 26 * 16)
            let grey = DecodedImage(
                width: 100, height: 60, channels: 1, pixels: (0..<6000).map { UInt8($0 % 100 * 2) }, colourMode: .grey)
            #expect(copy == ImageResampler.scaledCopy(grey.converted(toChannels: 3), covering: 8, factor: 2))
            #expect(sources.packed.bytes(of: 2, length: 192) == Array(dataset.train.image(at: 2)))
        }
        #expect(try Self.load(data, cache: cache, imageSize: 8).train.sources?.widths.last == 26)
        // Planned from the survey of a cache for another size, the file holds what a fresh one does.
        let fresh = try FileManager.default.attributesOfItem(atPath: try Self.cacheFile(cache).path)[.size] as? Int
        _ = try Self.load(data, cache: cache, imageSize: 4)
        _ = try Self.load(data, cache: cache, imageSize: 8)
        #expect(
            try FileManager.default.attributesOfItem(atPath: try Self.cacheFile(cache).path)[.size] as? Int == fresh)
    }

    @Test func foldersOverTheMemoryLimitAreReadFromTheMappedCache() throws {
        let temp = try TemporaryFolder()
        let data = try temp.folder("data"), cache = temp.url.appendingPathComponent("cache")
        try ImageFolderLoaderTests.writePets(to: data)
        let inMemory = try Dataset.load(from: data, images: ImageFolderOptions(imageSize: 8, cacheFolder: cache))
        #expect(!inMemory.train.isMapped)
        let small = ImageFolderOptions(imageSize: 8, cacheFolder: cache, memoryLimit: 100)
        for expectedFromCache in [true, false] {
            if !expectedFromCache { try FileManager.default.removeItem(at: cache) }
            let mapped = try Dataset.load(from: data, images: small).holdingOutValidation(1)
            #expect(mapped.imageFolder?.fromCache == expectedFromCache)
            #expect(mapped.train.isMapped && mapped.validation.isMapped)
            let reference = try inMemory.holdingOutValidation(1)
            #expect(
                mapped.train.pixels == reference.train.pixels && mapped.validation.pixels == reference.validation.pixels
            )
            let crop = Augmentation(cropPadding: 0, horizontalFlip: true, resizedCrop: .standard)
            let unit = Normalization(mean: [0, 0, 0], standardDeviation: [1, 1, 1])
            func batch(_ set: ImageSet) -> [Float] {
                let loader = BatchLoader(
                    images: set, batchSize: 4, shuffle: true, seed: 1, augmentation: crop, normalization: unit)
                var batch = loader.makeBatch()
                loader.load(BatchPosition(epoch: 1, batch: 0), into: &batch)
                return batch.images
            }
            #expect(batch(mapped.train) == batch(reference.train))
        }
        // Without a cache there is no file to map: the images stay in memory.
        #expect(
            !(try Dataset.load(from: data, images: ImageFolderOptions(imageSize: 8, memoryLimit: 0)).train.isMapped))
    }
}
