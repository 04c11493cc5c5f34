import Foundation
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
}
