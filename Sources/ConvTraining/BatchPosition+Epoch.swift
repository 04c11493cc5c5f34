import ConvData

extension BatchPosition {
    /// The epoch this position belongs to as people count it, from 1: the epoch being trained,
    /// or at an epoch boundary the one just finished.
    public var epochNumber: Int { batch == 0 ? max(1, epoch) : epoch + 1 }
}
