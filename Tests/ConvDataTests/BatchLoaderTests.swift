import ConvData
import Testing

@Suite struct BatchLoaderTests {
    /// Ten 2-channel 3x4 images whose bytes encode (image, channel, y, x).
    static let images: ImageSet = {
        let dims = ImageDimensions(channels: 2, height: 3, width: 4)
        let pixels = (0..<10).flatMap { image in (0..<dims.valueCount).map { UInt8(image * 24 + $0) } }
        return ImageSet(dimensions: dims, pixels: pixels, labels: (0..<10).map { Int32($0 % 3) })
    }()
    /// Leaves the 0...1 scale: each float is exactly `Float(byte) / 255`.
    static let unit = Normalization(mean: [0, 0], standardDeviation: [1, 1])

    static func loader(
        shuffle: Bool = true, seed: UInt64 = 7, augmentation: Augmentation = .none,
        normalization: Normalization = unit, batchSize: Int = 4
    ) -> BatchLoader {
        BatchLoader(
            images: images, batchSize: batchSize, shuffle: shuffle, seed: seed,
            augmentation: augmentation, normalization: normalization)
    }

    static func load(_ loader: BatchLoader, _ epoch: Int, _ batch: Int) -> Batch {
        var result = loader.makeBatch()
        loader.load(BatchPosition(epoch: epoch, batch: batch), into: &result)
        return result
    }

    @Test func batchesAreNCHWWithTheLastPartialBatchKept() {
        let loader = Self.loader(shuffle: false)
        #expect(loader.batchesPerEpoch == 3)
        let first = Self.load(loader, 0, 0)
        #expect(first.count == 4)
        #expect(first.images.count == 4 * 24)
        #expect(first.labels == [0, 1, 2, 0])
        #expect(first.sourceIndices == [0, 1, 2, 3])
        // Image 1's bytes are 24..<48.
        #expect(first.images[24..<48] == ArraySlice((24..<48).map { Float($0) / 255 }))
        let last = Self.load(loader, 0, 2)
        #expect(last.count == 2)
        #expect(last.images.count == 2 * 24)
        #expect(last.sourceIndices == [8, 9])
    }

    @Test func reusingABatchForASmallerOneShrinksIt() {
        let loader = Self.loader(shuffle: false)
        var batch = loader.makeBatch()
        loader.load(BatchPosition(epoch: 0, batch: 0), into: &batch)
        loader.load(BatchPosition(epoch: 0, batch: 2), into: &batch)
        #expect(batch.count == 2)
        #expect(batch.images.count == 48)
        loader.load(BatchPosition(epoch: 0, batch: 1), into: &batch)
        #expect(batch.images == Self.load(loader, 0, 1).images)
    }

    @Test func normalisationAppliesEachChannelsMeanAndDeviation() {
        let normalization = Normalization(mean: [0.5, 0.25], standardDeviation: [0.5, 2])
        let batch = Self.load(Self.loader(shuffle: false, normalization: normalization), 0, 0)
        for offset in 0..<24 {
            let byte = Float(offset)
            let expected = offset < 12 ? (byte / 255 - 0.5) / 0.5 : (byte / 255 - 0.25) / 2
            #expect(abs(batch.images[offset] - expected) < 1e-6)
        }
    }

    @Test func parsesNormalizeOption() throws {
        let tutorial = try Normalization(parsing: "0.5,0.5", channels: 3)
        #expect(tutorial.mean == [0.5, 0.5, 0.5])
        #expect(tutorial.standardDeviation == [0.5, 0.5, 0.5])
        let perChannel = try Normalization(parsing: "0.1, 0.2, 0.3, 1, 2, 4", channels: 3)
        #expect(perChannel.mean == [0.1, 0.2, 0.3])
        #expect(perChannel.standardDeviation == [1, 2, 4])
        #expect(throws: DataError.self) { try Normalization(parsing: "0.5,0", channels: 1) }
        #expect(throws: DataError.self) { try Normalization(parsing: "0.5,x", channels: 1) }
        #expect(throws: DataError.self) { try Normalization(parsing: "1,2,3", channels: 3) }
    }

    @Test func shuffleIsAPermutationThatDependsOnSeedAndEpoch() {
        let loader = Self.loader(seed: 7)
        let order = loader.order(epoch: 0)
        #expect(order.sorted() == (0..<10).map(Int32.init))
        #expect(order == Self.loader(seed: 7).order(epoch: 0))
        #expect(order != loader.order(epoch: 1))
        #expect(order != Self.loader(seed: 8).order(epoch: 0))
        #expect(Self.loader(shuffle: false).order(epoch: 5) == (0..<10).map(Int32.init))
    }

    @Test func anEpochVisitsEveryImageOnce() {
        let loader = Self.loader(augmentation: Augmentation(cropPadding: 1, horizontalFlip: true))
        let visited = (0..<loader.batchesPerEpoch).flatMap { Self.load(loader, 3, $0).sourceIndices }
        #expect(visited.sorted() == (0..<10).map(Int32.init))
    }

    @Test func aBatchLoadedAloneEqualsTheSameBatchLoadedInSequence() {
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let sequential = Self.loader(augmentation: augmentation)
        var inOrder = [Batch]()
        for epoch in 0..<3 {
            for batch in 0..<sequential.batchesPerEpoch { inOrder.append(Self.load(sequential, epoch, batch)) }
        }
        // A resumed run builds a new loader and starts at epoch 1, batch 2.
        let resumed = Self.loader(augmentation: augmentation)
        let alone = Self.load(resumed, 1, 2)
        #expect(alone.images == inOrder[5].images)
        #expect(alone.labels == inOrder[5].labels)
        #expect(alone.position == BatchPosition(epoch: 1, batch: 2))
    }

    @Test func noAugmentationLeavesImagesUntouched() {
        let batch = Self.load(Self.loader(), 0, 0)
        for (slot, source) in batch.sourceIndices.enumerated() {
            let expected = Self.images.image(at: Int(source)).map { Float($0) / 255 }
            #expect(Array(batch.images[(slot * 24)..<((slot + 1) * 24)]) == expected)
        }
    }

    @Test func flipMirrorsEveryRowOfSomeImagesAndNothingElse() {
        let loader = Self.loader(augmentation: Augmentation(cropPadding: 0, horizontalFlip: true), batchSize: 10)
        var flipped = 0
        for epoch in 0..<4 {
            let batch = Self.load(loader, epoch, 0)
            for (slot, source) in batch.sourceIndices.enumerated() {
                let original = Self.images.image(at: Int(source)).map { Float($0) / 255 }
                let output = Array(batch.images[(slot * 24)..<((slot + 1) * 24)])
                let mirrored = stride(from: 0, to: 24, by: 4).flatMap { original[$0..<($0 + 4)].reversed() }
                #expect(output == original || output == mirrored)
                if output == mirrored { flipped += 1 }
            }
        }
        #expect(flipped > 5 && flipped < 35)
    }

    /// Every output must be the zero-padded image, shifted by some (dy, dx) within the padding
    /// and then mirrored or not: torchvision's RandomCrop(padding) followed by RandomHorizontalFlip.
    @Test(arguments: [(1, false), (2, true), (6, true)])
    func cropAndFlipMatchAShiftedMirroredImage(padding: Int, flip: Bool) {
        let normalization = Normalization(mean: [0.1, 0.1], standardDeviation: [1, 1])
        let loader = Self.loader(
            augmentation: Augmentation(cropPadding: padding, horizontalFlip: flip),
            normalization: normalization, batchSize: 10)
        let fill = -Float(0.1)
        var sawShift = false
        var sawMirror = false
        for epoch in 0..<3 {
            let batch = Self.load(loader, epoch, 0)
            for (slot, source) in batch.sourceIndices.enumerated() {
                let original = Self.images.image(at: Int(source)).map { Float($0) / 255 - 0.1 }
                let output = Array(batch.images[(slot * 24)..<((slot + 1) * 24)])
                let shifts = (-padding...padding).flatMap { dy in (-padding...padding).map { dx in (dy, dx) } }
                let candidates = shifts.flatMap { shift in (flip ? [false, true] : [false]).map { (shift, $0) } }
                let matches = candidates.filter { shift, mirrored in
                    (0..<24).allSatisfy { offset in
                        let (channel, y, x) = (offset / 12, offset % 12 / 4, offset % 4)
                        let (sy, sx) = (y + shift.0, (mirrored ? 3 - x : x) + shift.1)
                        let expected =
                            (0..<3).contains(sy) && (0..<4).contains(sx)
                            ? original[channel * 12 + sy * 4 + sx] : fill
                        return abs(output[offset] - expected) < 1e-6
                    }
                }
                #expect(!matches.isEmpty)
                if padding == 1 { #expect(matches.count == 1) }
                if matches.contains(where: { $0.0 != (0, 0) }) { sawShift = true }
                if matches.allSatisfy({ $0.1 }) { sawMirror = true }
            }
        }
        #expect(sawShift)
        #expect(sawMirror == flip)
    }

    /// Cutout sets one whole 2x2 square of each image, in both channels, to 0 (the mean), and
    /// leaves every other pixel as the same augmentation without it drew it: its draws come last.
    @Test(arguments: [
        Augmentation.none, Augmentation(cropPadding: 1, horizontalFlip: true),
        Augmentation(cropPadding: 0, horizontalFlip: true, resizedCrop: .standard),
    ])
    func cutoutErasesOneWholeSquareAndLeavesTheOtherDraws(base: Augmentation) {
        // Off the 0...1 scale, so that no pixel and no padding is 0 before the cutout.
        let normalization = Normalization(mean: [0.1, 0.1], standardDeviation: [1, 1])
        var withCutout = base
        withCutout.cutout = 2
        let plain = Self.loader(augmentation: base, normalization: normalization, batchSize: 10)
        let erased = Self.loader(augmentation: withCutout, normalization: normalization, batchSize: 10)
        let corners = (0...1).flatMap { top in (0...2).map { left in (top, left) } }
        var cornersSeen = Set<Int>()
        for epoch in 0..<3 {
            let before = Self.load(plain, epoch, 0), after = Self.load(erased, epoch, 0)
            #expect(after.sourceIndices == before.sourceIndices)
            for slot in 0..<10 {
                let image = Array(after.images[(slot * 24)..<((slot + 1) * 24)])
                let original = Array(before.images[(slot * 24)..<((slot + 1) * 24)])
                #expect(!original.contains(0))
                let zeroed = Set(image.indices.filter { image[$0] == 0 })
                let corner = corners.firstIndex { top, left in
                    zeroed
                        == Set(
                            (0..<2).flatMap { c in
                                (top..<top + 2).flatMap { y in (left..<left + 2).map { c * 12 + y * 4 + $0 } }
                            })
                }
                #expect(corner != nil, "epoch \(epoch) slot \(slot): zeroed \(zeroed.sorted())")
                #expect(image.indices.allSatisfy { zeroed.contains($0) || image[$0] == original[$0] })
                if let corner { cornersSeen.insert(corner) }
            }
        }
        #expect(cornersSeen.count == corners.count)
    }

    @Test func standardAugmentationFollowsTheDataset() {
        let digits = Dataset(
            name: "mnist", folder: "", format: .idx, classNames: (0..<10).map(String.init),
            train: .empty(ImageDimensions(channels: 1, height: 28, width: 28)),
            test: .empty(ImageDimensions(channels: 1, height: 28, width: 28)),
            allowsHorizontalFlip: false)
        #expect(Augmentation(.standard, for: digits) == Augmentation(cropPadding: 3, horizontalFlip: false))
        var photos = digits
        photos.train = .empty(ImageDimensions(channels: 3, height: 32, width: 32))
        photos.allowsHorizontalFlip = true
        #expect(Augmentation(.standard, for: photos) == Augmentation(cropPadding: 4, horizontalFlip: true))
        #expect(Augmentation(.none, for: photos).isIdentity)
        #expect(Augmentation(.flip, for: photos) == Augmentation(cropPadding: 0, horizontalFlip: true))
        #expect(Augmentation(.crop, for: photos) == Augmentation(cropPadding: 4, horizontalFlip: false))
        #expect(Augmentation(.cropFlip, for: photos) == Augmentation(.standard, for: photos))
        #expect(Augmentation(.cropFlip, for: digits) == Augmentation(cropPadding: 3, horizontalFlip: false))
    }

    @Test func imageFoldersDrawResizedCropsByDefault() {
        var folder = Dataset(
            name: "shop", folder: "", format: .imageFolder, classNames: ["a", "b"],
            train: .empty(ImageDimensions(channels: 3, height: 32, width: 32)),
            test: .empty(ImageDimensions(channels: 3, height: 32, width: 32)), allowsHorizontalFlip: true)
        let resized = Augmentation(cropPadding: 0, horizontalFlip: true, resizedCrop: .standard)
        #expect(Augmentation(.standard, for: folder) == resized)
        #expect(Augmentation(.resized, for: folder) == resized)
        #expect(Augmentation(.crop, for: folder) == Augmentation(cropPadding: 4, horizontalFlip: false))
        #expect(Augmentation(.cropFlip, for: folder) == Augmentation(cropPadding: 4, horizontalFlip: true))
        folder.format = .cifar10Binary
        #expect(Augmentation(.standard, for: folder) == Augmentation(cropPadding: 4, horizontalFlip: true))
        #expect(Augmentation(.resized, for: folder) == resized)
    }

    @Test func resizedCropsAreDeterministicAndTheSameOnAnyNumberOfThreads() {
        let crop = Augmentation(cropPadding: 0, horizontalFlip: true, resizedCrop: .standard)
        let one = BatchLoader(
            images: Self.images, batchSize: 4, shuffle: true, seed: 3, augmentation: crop, normalization: Self.unit,
            threads: 1)
        let three = BatchLoader(
            images: Self.images, batchSize: 4, shuffle: true, seed: 3, augmentation: crop, normalization: Self.unit,
            threads: 3)
        var differs = false
        for epoch in 0..<3 {
            for batch in 0..<one.batchesPerEpoch {
                let a = Self.load(one, epoch, batch), b = Self.load(three, epoch, batch)
                #expect(a.images == b.images && a.labels == b.labels)
                #expect(Self.load(one, epoch, batch).images == a.images)
                let plain = Self.load(Self.loader(seed: 3), epoch, batch)
                differs = differs || plain.images != a.images
            }
        }
        #expect(differs)
    }
}
