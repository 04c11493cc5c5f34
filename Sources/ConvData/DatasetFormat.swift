/// The on-disk format of a dataset folder.
public enum DatasetFormat: String, Sendable {
    /// `data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`: 1 label byte + 3072 pixel bytes.
    case cifar10Binary = "CIFAR-10 binary"
    /// `train.bin`, `test.bin`: coarse label byte, fine label byte, 3072 pixel bytes.
    case cifar100Binary = "CIFAR-100 binary"
    /// `train-images-idx3-ubyte[.gz]` and friends (MNIST, Fashion-MNIST, KMNIST).
    case idx = "IDX"
    /// `<class>/**/<image>.png|jpg|jpeg`, optionally under `train/`, `val/` and `test/` (torchvision's ImageFolder).
    case imageFolder = "image folder"
}

/// Which of CIFAR-100's two label sets to use.
public enum LabelGranularity: String, Sendable, CaseIterable {
    /// The 100 fine classes (the default).
    case fine
    /// The 20 superclasses.
    case coarse
}
