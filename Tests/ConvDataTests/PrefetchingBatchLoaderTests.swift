import ConvData
import Testing

@Suite struct PrefetchingBatchLoaderTests {
    static func loader() -> BatchLoader {
        BatchLoaderTests.loader(augmentation: Augmentation(cropPadding: 1, horizontalFlip: true), batchSize: 3)
    }

    @Test func deliversTheSameBatchesAsSynchronousLoading() {
        let loader = Self.loader()
        let prefetching = PrefetchingBatchLoader(loader, endEpoch: 3, depth: 2)
        var positions = [BatchPosition]()
        while let batch = prefetching.next() {
            let expected = BatchLoaderTests.load(loader, batch.position.epoch, batch.position.batch)
            #expect(batch.images == expected.images)
            #expect(batch.labels == expected.labels)
            positions.append(batch.position)
            prefetching.recycle(batch)
        }
        let all = (0..<3).flatMap { epoch in (0..<4).map { BatchPosition(epoch: epoch, batch: $0) } }
        #expect(positions == all)
    }

    @Test func startsAtAnyBatchOfAnyEpoch() {
        let loader = Self.loader()
        let prefetching = PrefetchingBatchLoader(loader, from: BatchPosition(epoch: 2, batch: 3), depth: 1)
        let first = prefetching.next()
        let second = prefetching.next()
        #expect(first?.position == BatchPosition(epoch: 2, batch: 3))
        #expect(second?.position == BatchPosition(epoch: 3, batch: 0))
        #expect(first?.images == BatchLoaderTests.load(loader, 2, 3).images)
        #expect(second?.images == BatchLoaderTests.load(loader, 3, 0).images)
        prefetching.stop()
        #expect(prefetching.next() == nil)
    }

    @Test func stopsCleanlyWhileTheQueueIsFull() {
        let prefetching = PrefetchingBatchLoader(Self.loader(), depth: 2)
        #expect(prefetching.next() != nil)
        prefetching.stop()
        prefetching.stop()
        #expect(prefetching.next() == nil)
    }

    @Test func recycledBatchesAreRefilledInPlace() {
        let prefetching = PrefetchingBatchLoader(Self.loader(), endEpoch: 30, depth: 2)
        var batches = 0
        while let batch = prefetching.next() {
            batches += 1
            prefetching.recycle(batch)
        }
        #expect(batches == 120)
        #expect(prefetching.batchesAllocated <= 4)
    }

    @Test func batchesThatAreNotRecycledAreReplaced() {
        let prefetching = PrefetchingBatchLoader(Self.loader(), endEpoch: 5, depth: 2)
        var kept = [Batch]()
        while let batch = prefetching.next() { kept.append(batch) }
        #expect(kept.count == 20)
        #expect(prefetching.batchesAllocated == 20)
    }
}
