import Foundation

/// Where a dataset is published: its files and their published MD5 checksums.
public struct DatasetSource: Sendable, Equatable {
    /// How the files hold the dataset.
    public enum Packaging: Sendable, Equatable {
        /// One `.tar.gz` archive (CIFAR) to extract.
        case tarball
        /// Files kept as they are (MNIST-family `.gz` IDX files).
        case files
    }

    /// One published file.
    public struct File: Sendable, Equatable {
        public var url: URL
        public var md5: String

        public init(url: URL, md5: String) {
            self.url = url
            self.md5 = md5
        }

        public var name: String { url.lastPathComponent }
    }

    public var packaging: Packaging
    public var files: [File]
    /// Class names to write as `classes.txt` beside files that do not name their classes.
    public var classNames: [String]?

    public init(packaging: Packaging, files: [File], classNames: [String]? = nil) {
        self.packaging = packaging
        self.files = files
        self.classNames = classNames
    }

    /// The dataset authors' own archive (or, for MNIST, the mirror PyTorch uses since the
    /// original site stopped serving it) with the checksums they publish.
    public static func official(_ name: DatasetName) -> DatasetSource {
        switch name {
        case .cifar10:
            return DatasetSource(
                packaging: .tarball,
                files: [
                    File(
                        url: URL(string: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")!,
                        md5: "c32a1d4ab5d03f1284b67883e8d87530")
                ])
        case .cifar100:
            return DatasetSource(
                packaging: .tarball,
                files: [
                    File(
                        url: URL(string: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz")!,
                        md5: "03b5dce01913d631647c71ecec9e9cb8")
                ])
        case .mnist:
            return idx(
                .mnist, base: "https://ossci-datasets.s3.amazonaws.com/mnist/",
                md5: [
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                    "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c",
                ])
        case .fashionMNIST:
            return idx(
                .fashionMNIST, base: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                md5: [
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                    "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310",
                ])
        case .kmnist:
            return idx(
                .kmnist, base: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
                md5: [
                    "bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                    "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134",
                ])
        }
    }

    /// The four MNIST-family files under `base`, in the order of `md5`.
    private static func idx(_ name: DatasetName, base: String, md5: [String]) -> DatasetSource {
        let names = [
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        ]
        return DatasetSource(
            packaging: .files,
            files: zip(names, md5).map { name, md5 in
                File(url: URL(string: base + name)!, md5: md5)
            }, classNames: ClassNames.idxFamily(name))
    }

    /// The same files from another place: `url` is the archive itself for a tarball, or the
    /// folder holding the files otherwise.
    public func fetching(from url: URL) -> DatasetSource {
        var moved = self
        switch packaging {
        case .tarball:
            moved.files[0].url = url
        case .files:
            moved.files = files.map { File(url: url.appendingPathComponent($0.name), md5: $0.md5) }
        }
        return moved
    }

    /// The same files checked against other checksums, one per file in order (for tests).
    public func expecting(md5: [String]) throws -> DatasetSource {
        guard md5.count == files.count else {
            throw DataError.invalidOption("expected \(files.count) checksums, got \(md5.count)")
        }
        var changed = self
        for index in files.indices { changed.files[index].md5 = md5[index].lowercased() }
        return changed
    }
}
