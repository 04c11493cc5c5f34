import ConvData
import Foundation
import Testing

/// Reads the real CIFAR-10 training batches when `CONVTOP_CIFAR_DIR` names their folder
/// (`.ci/run` sets it); skipped otherwise, since users do not have them.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONVTOP_CIFAR_DIR"] != nil))
struct CIFARRealDataTests {
    @Test func realTrainingBatchesHave5000ImagesPerClassAndAFrogFirst() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["CONVTOP_CIFAR_DIR"]!)
        let dataset = try Dataset.load(from: folder)
        #expect(dataset.format == .cifar10Binary)
        #expect(dataset.train.count == 50000)
        #expect(dataset.train.classCounts(classCount: 10) == Array(repeating: 5000, count: 10))
        #expect(dataset.train.labels[0] == 6)
        #expect(dataset.classNames[6] == "frog")
        // Read with Python from data_batch_1.bin: bytes 1..., 1025..., 2049... of the first record.
        let image = Array(dataset.train.image(at: 0))
        #expect(Array(image[0..<8]) == [59, 43, 50, 68, 98, 119, 139, 145])
        #expect(Array(image[1024..<1028]) == [62, 46, 48, 54])
        #expect(Array(image[2048..<2052]) == [63, 45, 43, 42])
    }
}
