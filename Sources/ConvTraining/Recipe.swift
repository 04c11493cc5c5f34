/// A named set of defaults for `convtop train`; options given on the command line override it.
public enum Recipe: String, Sendable, CaseIterable {
    /// Tuned for a good test accuracy in few epochs with the strong default preset: SGD with
    /// Nesterov momentum on a one-cycle schedule, label smoothing, weight decay, augmentation.
    case fast
    /// PyTorch's CIFAR-10 tutorial: LeNet, normalise 0.5/0.5, SGD 0.001 momentum 0.9, batch 4,
    /// 2 epochs, no augmentation.
    case tutorial

    /// One-line description for the help text.
    public var summary: String {
        switch self {
        case .fast: "resnet9, SGD nesterov 0.9, one-cycle, label smoothing 0.1, augmentation (the default)"
        case .tutorial: "PyTorch's CIFAR-10 tutorial: lenet, SGD 0.001 momentum 0.9, batch 4, 2 epochs"
        }
    }

    /// The recipe's settings for images with `channels` colour planes.
    public func configuration(channels: Int) -> TrainingConfiguration {
        switch self {
        case .tutorial:
            return TrainingConfiguration(
                model: "lenet", epochs: 2, batchSize: 4, optimizer: .sgd, learningRate: 0.001, momentum: 0.9,
                schedule: .constant, augment: "none", normalize: "0.5,0.5")
        case .fast:
            // Grey 28x28 datasets are learnt in fewer epochs than colour 32x32 ones.
            let colour = channels > 1
            return TrainingConfiguration(
                model: "resnet9", epochs: colour ? 10 : 4, batchSize: 128, optimizer: .sgd, learningRate: 0.1,
                momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: .onecycle, labelSmoothing: 0.1,
                augment: "standard")
        }
    }
}
