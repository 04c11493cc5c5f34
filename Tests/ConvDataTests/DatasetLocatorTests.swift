import ConvData
import Foundation
import Testing

@Suite struct DatasetLocatorTests {
    /// A locator whose four search roots are folders inside `temp`.
    static func locator(_ temp: TemporaryFolder, shippedSubset: URL? = nil) throws -> DatasetLocator {
        DatasetLocator(
            environment: ["CONVTOP_DATA": try temp.folder("custom").path],
            homeDirectory: try temp.folder("home").path,
            currentDirectory: try temp.folder("work").path,
            systemDatasets: try temp.folder("system").path,
            shippedSubset: shippedSubset)
    }

    @Test func searchesTheFourPlacesInOrder() throws {
        let temp = try TemporaryFolder()
        let locator = try Self.locator(temp)
        #expect(
            locator.searchPaths(for: .cifar10).map(\.path) == [
                temp.path + "/custom/cifar10", temp.path + "/home/.cache/convtop/cifar10",
                temp.path + "/system/cifar10", temp.path + "/work/data/cifar10",
            ])
        _ = try temp.folder("work/data/cifar10")
        #expect(try locator.locate(.cifar10).path == temp.path + "/work/data/cifar10")
        _ = try temp.folder("system/cifar10")
        #expect(try locator.locate(.cifar10).path == temp.path + "/system/cifar10")
        _ = try temp.folder("custom/cifar10")
        #expect(try locator.locate(.cifar10).path == temp.path + "/custom/cifar10")
    }

    @Test func withoutCONVTOPDATAtheCacheComesFirst() throws {
        let temp = try TemporaryFolder()
        var locator = try Self.locator(temp)
        locator.environment = [:]
        #expect(locator.searchPaths(for: .mnist).first?.path == temp.path + "/home/.cache/convtop/mnist")
        #expect(locator.fetchDestination(for: .mnist).path == temp.path + "/home/.cache/convtop/mnist")
    }

    @Test func aMissingDatasetSaysWhereItLookedAndHowToGetIt() throws {
        let temp = try TemporaryFolder()
        let locator = try Self.locator(temp)
        let error = #expect(throws: DataError.self) { try locator.resolve(data: nil, dataset: "cifar100") }
        let message = try #require(error).description
        for place in locator.searchPaths(for: .cifar100) { #expect(message.contains(place.path)) }
        #expect(message.hasSuffix("get it with: convtop data fetch cifar100"))
        #expect(!message.contains("\n"))
    }

    @Test func resolvesPathsNamesAndRejectsBoth() throws {
        let temp = try TemporaryFolder()
        let locator = try Self.locator(temp)
        #expect(try locator.resolve(data: "some/folder", dataset: nil).path == temp.path + "/work/some/folder")
        #expect(try locator.resolve(data: "/abs/folder", dataset: nil).path == "/abs/folder")
        #expect(throws: DataError.self) { try locator.resolve(data: "x", dataset: "mnist") }
        #expect(throws: DataError.unknownDatasetName("imagenet")) {
            try locator.resolve(data: nil, dataset: "imagenet")
        }
    }

    @Test func defaultIsTheSystemFashionMNISTThenTheShippedSubset() throws {
        let temp = try TemporaryFolder()
        let subset = try temp.folder("assets/fashion-mnist-subset")
        let locator = try Self.locator(temp, shippedSubset: subset)
        #expect(try locator.resolve(data: nil, dataset: nil).path == subset.path)
        let system = try temp.folder("system/fashion-mnist")
        #expect(try locator.resolve(data: nil, dataset: nil).path == system.path)
        var bare = locator
        bare.shippedSubset = nil
        try FileManager.default.removeItem(at: system)
        #expect(throws: DataError.self) { try bare.defaultDataset() }
    }

    @Test func theShippedSubsetIsFoundAndBalanced() throws {
        let folder = try #require(ShippedSubset.folder)
        let dataset = try Dataset.load(from: folder)
        #expect(dataset.name == "fashion-mnist")
        #expect(dataset.train.classCounts(classCount: 10) == Array(repeating: 600, count: 10))
        #expect(dataset.test.classCounts(classCount: 10) == Array(repeating: 100, count: 10))
    }
}
