/// A network as written in a network file (`.net`), before it meets an input shape.
///
/// The format, one layer per line:
///
///     # LeNet for 3x32x32 images            <- `#` starts a comment, to the end of the line
///     conv1: conv 6 kernel=5                <- NAME: KIND ARGUMENTS
///     relu                                  <- unnamed: named by its position in its block (1)
///     pool1: maxpool 2
///     flatten
///     fc: linear classes                    <- `classes`: the dataset's class count
///     res1: residual {                      <- a block: output = body(x) + shortcut(x)
///         conv1: conv 32 kernel=3 padding=same bias=false
///         bn1: batchnorm
///         shortcut {                        <- optional; the identity when absent
///             0: conv 32 kernel=1 bias=false
///         }
///     }
///     stage: repeat 3 {                     <- the body three times: stage.0.*, stage.1.*, stage.2.*
///         ...
///     }
///
/// Layers and their arguments (positional first, then `key=value`):
/// - `conv OUT [kernel=3] [stride=1] [padding=0|same] [bias=true|false] [in=C]`
/// - `linear OUT [in=N]` (needs a flat input: `flatten` or `globalavgpool` before it)
/// - `batchnorm`, `relu`, `flatten`, `globalavgpool`
/// - `maxpool K [stride=K]`, `avgpool K [stride=K]`
/// - `dropout P` (0 <= P < 1)
/// - `residual {`, `shortcut {` (inside a residual), `NAME: repeat N {`, each closed by `}`
///
/// `in=` states the input size the layer expects; a file whose shapes do not meet it is refused.
/// Parameter names are PyTorch `state_dict` names of the same structure: a layer's name, prefixed
/// by the names of the blocks around it (`res1.conv1.weight`, `stage.2.bn.running_mean`).
public struct NetworkFile: Equatable, Sendable {
    /// The name the network goes by: a preset's name or the file's name without its extension.
    public let name: String
    /// The file as the user named it, for messages.
    public let file: String
    /// The text it was parsed from, kept so a checkpoint can carry its own architecture.
    public let text: String
    public let layers: [NetworkLayer]
}

/// One line of a network file (with, for blocks, the lines inside it).
public struct NetworkLayer: Equatable, Sendable {
    /// The `state_dict` name relative to the block: the written name or the layer's position.
    public let name: String
    /// Where the layer's kind is written.
    public let location: TextPosition
    public let kind: Kind

    /// A channel or feature count: a number, or the dataset's class count.
    public enum Width: Equatable, Sendable {
        case count(Int)
        case classes
    }

    /// A `key=value` that states an expectation, with where it is written.
    public struct Expected: Equatable, Sendable {
        public let value: Int
        public let location: TextPosition
    }

    public enum Padding: Equatable, Sendable {
        case count(Int)
        /// `(kernel - 1) / 2` for an odd kernel at stride 1: the output keeps the input's size.
        case same
    }

    public indirect enum Kind: Equatable, Sendable {
        case conv(out: Width, kernel: Int, stride: Int, padding: Padding, bias: Bool, inChannels: Expected?)
        case linear(out: Width, inFeatures: Expected?)
        case batchNorm
        case relu
        case maxPool(kernel: Int, stride: Int)
        case avgPool(kernel: Int, stride: Int)
        case globalAvgPool
        case dropout(probability: Float)
        case flatten
        case residual(body: [NetworkLayer], shortcut: [NetworkLayer]?)
        case `repeat`(count: Int, body: [NetworkLayer])
    }
}
