/// A person's verdict on one evaluated image, given in the misclassified browser: its label looks
/// wrong, or it should not be used at all. The trainer keeps marks in the run's `marks.csv`;
/// `convtop train --exclude` leaves marked images out of a later run. Nothing ever moves or deletes
/// the image itself.
public struct ImageMark: Sendable, Equatable, Codable {
    /// What the person thinks is wrong with the image.
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        /// The image shows another class than its label says.
        case mislabelled
        /// The image should not be used (a broken, ambiguous or out-of-domain picture).
        case drop

        /// The kind after this one, for a prompt that cycles through them.
        public var next: Kind {
            let all = Self.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    /// The split the image was evaluated in.
    public var split: Split
    /// The image's index in its split, as evaluations number it (`Prediction.index`).
    public var index: Int
    public var kind: Kind
    public var trueLabel: Int
    public var predictedLabel: Int
    /// Free text; may hold any character, commas, quotes and line breaks included.
    public var note: String
    /// The image's file relative to the dataset folder, filled in by the trainer for datasets of
    /// image files; nil for images packed in one file (CIFAR, IDX), which are named by split and index.
    public var file: String?

    public init(
        split: Split, index: Int, kind: Kind, trueLabel: Int, predictedLabel: Int, note: String = "",
        file: String? = nil
    ) {
        self.split = split
        self.index = index
        self.kind = kind
        self.trueLabel = trueLabel
        self.predictedLabel = predictedLabel
        self.note = note
        self.file = file
    }

    /// Whether this mark is for the image at `index` of `split`.
    public func names(split: Split, index: Int) -> Bool { self.split == split && self.index == index }

    enum CodingKeys: CodingKey { case split, index, kind, trueLabel, predictedLabel, note, file }

    /// Decodes a mark from the fields of a line, refusing negative indices and labels.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        split = try c.decode(Split.self, forKey: .split)
        index = try c.decode(Int.self, forKey: .index)
        kind = try c.decode(Kind.self, forKey: .kind)
        trueLabel = try c.decode(Int.self, forKey: .trueLabel)
        predictedLabel = try c.decode(Int.self, forKey: .predictedLabel)
        note = try c.decodeIfPresent(String.self, forKey: .note) ?? ""
        file = try c.decodeIfPresent(String.self, forKey: .file)
        try LineCoding.nonNegative(index, "index")
        try LineCoding.nonNegative(trueLabel, "true_label")
        try LineCoding.nonNegative(predictedLabel, "predicted_label")
    }
}
