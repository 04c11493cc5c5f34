import ConvData
import ConvProtocol

extension Dataset {
    /// A dataset with marked images left out, and how the marks matched.
    public struct Exclusion: Sendable {
        public var dataset: Dataset
        /// Images left out.
        public var excluded: Int
        /// Marks that named no image of this dataset (a file since removed, say).
        public var unmatched: Int
    }

    /// This dataset without the images `marks` name (`--exclude`). Image files are matched by their
    /// path relative to the dataset folder, in whichever split they now are; images packed in one
    /// file (CIFAR, IDX) by split and index, which is why a later run must hold out the same
    /// validation split for its validation marks to name the same images. `file` names the marks
    /// file in errors.
    public func excluding(_ marks: [ImageMark], file: String) throws -> Exclusion {
        var result = self
        var excluded = 0
        if format == .imageFolder {
            let names = Set(marks.compactMap(\.file))
            func keep(_ images: ImageSet) -> ImageSet {
                let kept = images.fileNames.indices.filter { !names.contains(images.fileNames[$0]) }
                excluded += images.count - kept.count
                return kept.count == images.count ? images : images.subset(kept)
            }
            result.train = keep(train)
            result.test = keep(test)
            result.validation = keep(validation)
            let present = Set(train.fileNames + test.fileNames + validation.fileNames)
            let unmatched = marks.filter { $0.file.map(present.contains) != true }.count
            return Exclusion(dataset: result, excluded: excluded, unmatched: unmatched)
        }
        for split in Split.allCases {
            let images = self.images(in: split)
            let marked = Set(marks.filter { $0.split == split }.map(\.index))
            if let outside = marked.first(where: { $0 >= images.count }) {
                throw MarksFileError(
                    description: "\(file): \(split) image \(outside) is beyond the \(images.count) \(split) images "
                        + "of \(folder) (was the run's --val-split different?)")
            }
            guard !marked.isEmpty else { continue }
            let kept = (0..<images.count).filter { !marked.contains($0) }
            excluded += marked.count
            switch split {
            case .test: result.test = images.subset(kept)
            case .validation: result.validation = images.subset(kept)
            }
        }
        return Exclusion(dataset: result, excluded: excluded, unmatched: 0)
    }
}
