import ConvEngine
import Foundation
import Testing

@Suite struct NetworkFileTests {
    static func parse(_ text: String) throws(NetworkError) -> NetworkFile {
        try NetworkFile(text: text, file: "test.net", name: "test")
    }

    static func resolve(_ text: String, input: [Int] = [3, 32, 32], classes: Int = 10) throws(NetworkError)
        -> ResolvedNetwork
    {
        try parse(text).resolve(inputShape: input, classes: classes)
    }

    static let vgg = """
        # A VGG-style net with dropout before the head.
        conv1: conv 32 kernel=3 padding=same   # 3 -> 32
        bn1: batchnorm
        relu
        pool1: maxpool 2
        conv2: conv 64 kernel=3 padding=1 bias=false in=32
        bn2: batchnorm
        relu
        pool2: avgpool 2 stride=2
        flatten
        drop: dropout 0.5
        fc1: linear 256 in=4096
        relu
        fc2: linear classes
        """

    @Test func readsLayersNamesAndArguments() throws {
        let file = try Self.parse(Self.vgg)
        #expect(
            file.layers.map(\.name) == [
                "conv1", "bn1", "2", "pool1", "conv2", "bn2", "6", "pool2", "8", "drop", "fc1", "11", "fc2",
            ])
        #expect(
            file.layers[0].kind
                == .conv(out: .count(32), kernel: 3, stride: 1, padding: .same, bias: true, inChannels: nil))
        #expect(file.layers[0].location == TextPosition(line: 2, column: 8))
        #expect(file.layers[7].kind == .avgPool(kernel: 2, stride: 2))
        #expect(file.layers[9].kind == .dropout(probability: 0.5))
        #expect(file.layers[12].kind == .linear(out: .classes, inFeatures: nil))
    }

    /// Parameter counts by hand: conv1 32*3*9 + 32, bn1 2*32, conv2 64*32*9, bn2 2*64,
    /// fc1 4096*256 + 256, fc2 256*10 + 10.
    @Test func resolvesShapesParametersAndMultiplyAdds() throws {
        let network = try Self.resolve(Self.vgg)
        #expect(
            network.layers.map(\.outputShape) == [
                [32, 32, 32], [32, 32, 32], [32, 32, 32], [32, 16, 16], [64, 16, 16], [64, 16, 16], [64, 16, 16],
                [64, 8, 8],
                [4096], [4096], [256], [256], [10],
            ])
        let expected = (32 * 3 * 9 + 32) + 64 + 64 * 32 * 9 + 128 + (4096 * 256 + 256) + (256 * 10 + 10)
        #expect(network.parameterCount == expected)
        #expect(
            network.parameterShapes.map(\.name) == [
                "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
                "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
            ])
        let macs = 32 * 32 * 32 * 3 * 9 + 64 * 16 * 16 * 32 * 9 + 4096 * 256 + 256 * 10
        #expect(network.multiplyAdds == macs)
    }

    /// `Examples/resnet9-wide.net` is the `resnet9` preset with every width doubled: the same
    /// parameters by name, and by hand conv1 3*32*9, conv2 32*64*9, res1 2 * 64*64*9, conv3
    /// 64*128*9, conv4 128*256*9, res2 2 * 256*256*9, two per channel in each batch norm, and fc.
    @Test func theWideResNet9ExampleIsThePresetAtTwiceTheWidth() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/resnet9-wide.net").standardized.path
        let wide = try ModelChoice(path).load().resolve(inputShape: [3, 32, 32], classes: 10)
        let preset = try ModelChoice("resnet9").load().resolve(inputShape: [3, 32, 32], classes: 10)
        #expect(wide.parameterShapes.map(\.name) == preset.parameterShapes.map(\.name))
        let convolutions = (3 * 32 + 32 * 64 + 2 * 64 * 64 + 64 * 128 + 128 * 256 + 2 * 256 * 256) * 9
        let batchNorms = 2 * (32 + 64 + 2 * 64 + 128 + 256 + 2 * 256)
        #expect(wide.parameterCount == convolutions + batchNorms + 256 * 10 + 10)
        #expect(wide.parameterCount == 1_646_122)
    }

    @Test func residualBlocksShortcutsAndRepeatsNameLikePyTorch() throws {
        let network = try Self.resolve(
            """
            stem: conv 8 kernel=3 padding=same bias=false
            stage: repeat 2 {
                block: residual {
                    conv: conv 16 kernel=3 padding=same bias=false
                    bn: batchnorm
                    shortcut {
                        conv 16 kernel=1 bias=false
                    }
                }
                relu
            }
            globalavgpool
            fc: linear classes
            """, input: [1, 8, 8], classes: 3)
        #expect(
            network.parameterShapes.map(\.name) == [
                "stem.weight",
                "stage.0.block.conv.weight", "stage.0.block.bn.weight", "stage.0.block.bn.bias",
                "stage.0.block.shortcut.0.weight",
                "stage.1.block.conv.weight", "stage.1.block.bn.weight", "stage.1.block.bn.bias",
                "stage.1.block.shortcut.0.weight",
                "fc.weight", "fc.bias",
            ])
        #expect(network.parameterShapes[4].shape == [16, 8, 1, 1])
        #expect(network.parameterShapes[8].shape == [16, 16, 1, 1])
        #expect(network.bufferShapes.map(\.name).contains("stage.1.block.bn.num_batches_tracked"))
        #expect(network.layers.map(\.outputShape) == [[8, 8, 8], [16, 8, 8], [16], [3]])
    }

    /// Each bad file with the line, column and message its error must give.
    static let badFiles: [(text: String, line: Int, column: Int, message: String)] = [
        ("", 1, 1, "the network has no layers"),
        ("# only a comment\n", 1, 1, "the network has no layers"),
        (
            "conv1: convv 6\nfc: linear classes", 1, 8,
            "unknown layer `convv`; expected conv, linear, batchnorm, relu, maxpool, avgpool, globalavgpool, dropout, flatten, residual or repeat"
        ),
        ("conv 6 kernel=\n", 1, 8, "expected a value after `kernel=`"),
        ("conv\n", 1, 1, "conv expects its output size (a number or `classes`) after `conv`"),
        ("conv 0\n", 1, 6, "expected a whole number from 1 to 65536 for the output size, found `0`"),
        ("conv 6 kernel=x\n", 1, 15, "expected a whole number from 1 to 32 for kernel, found `x`"),
        ("conv 6 bias=maybe\n", 1, 13, "expected true or false for bias, found `maybe`"),
        ("conv 6 colour=red\n", 1, 8, "conv has no argument `colour`"),
        ("conv 6 7\n", 1, 8, "conv takes no further value, found `7`"),
        ("conv 6 kernel=3 7\n", 1, 17, "expected `key=value` after the first `key=value`, found `7`"),
        ("conv 6 kernel=4 padding=same\n", 1, 25, "padding=same needs an odd kernel and stride 1"),
        ("relu 2\n", 1, 6, "relu takes no further value, found `2`"),
        ("dropout 1\n", 1, 9, "expected a dropout probability from 0 up to (not including) 1, found `1`"),
        ("maxpool\n", 1, 1, "maxpool expects its kernel size after `maxpool`"),
        ("a.b: relu\n", 1, 1, "a layer name is letters, digits and `_`, found `a.b`"),
        ("x: relu\nx: relu\n", 2, 4, "the name x is already used on line 1"),
        ("relu €\n", 1, 6, "unexpected character `€`"),
        ("relu {\n}\n", 1, 1, "relu takes no block"),
        ("r: residual\n", 1, 4, "residual expects `{` at the end of the line, its layers on the lines after"),
        ("repeat 2 {\nrelu\n}\n", 1, 1, "a repeat needs a name (`stage: repeat 2 {`): its layers' names start with it"),
        ("s: repeat 0 {\n", 1, 11, "expected a whole number from 1 to 256 for repeat count, found `0`"),
        ("r: residual {\n  relu\n", 1, 4, "this block is not closed: expected `}` before the end of the file"),
        ("relu\n}\n", 2, 1, "`}` without a block to close"),
        ("r: residual {\n relu }\n", 2, 7, "`}` must stand alone on its line"),
        ("r: residual {\n}\n", 1, 4, "the block has no layers"),
        ("shortcut {\nrelu\n}\n", 1, 1, "shortcut only goes inside a residual block"),
        ("r: residual {\nshortcut: relu\n}\n", 2, 1, "the name shortcut belongs to the residual block's shortcut"),
        (
            "r: residual {\nrelu\nshortcut {\nrelu\n}\nshortcut {\nrelu\n}\n}\n", 6, 1,
            "the residual block already has a shortcut, on line 3"
        ),
        (": relu\n", 1, 1, "expected a layer kind such as conv, relu or linear"),
        (
            "s: repeat 200 {\nt: repeat 200 {\nrelu\n}\n}\n", 1, 4,
            "the network has more than 4096 layers once repeats are expanded"
        ),
        (String(repeating: "a: repeat 1 {\n", count: 9), 9, 4, "blocks nest more than 8 deep"),
    ]

    @Test(arguments: badFiles)
    func badFileGivesItsPlaceAndProblem(bad: (text: String, line: Int, column: Int, message: String)) {
        #expect(throws: NetworkError(file: "test.net", line: bad.line, column: bad.column, message: bad.message)) {
            try Self.parse(bad.text)
        }
    }

    @Test func fileBeyondTheSizeLimitIsRefusedUnread() {
        let message = "the file has 70000 bytes, more than the 65536 a network file may have"
        #expect(throws: NetworkError(file: "test.net", line: 0, column: 0, message: message)) {
            try Self.parse(String(repeating: "# padding\n", count: 7000))
        }
        #expect("\(NetworkError(file: "big.net", line: 0, column: 0, message: message))" == "big.net: " + message)
    }

    /// Files that parse but do not fit 3x32x32 images and 10 classes.
    static let misfits: [(text: String, line: Int, column: Int, message: String)] = [
        (
            "conv 6 kernel=5\nflatten\nfc: linear 10 in=2048\n", 3, 18,
            "linear expects 2048 inputs, the layer before gives 4704"
        ),
        ("conv 6 in=1\n", 1, 11, "conv expects 1 input channels, the layer before gives 3"),
        (
            "conv 6\nlinear classes\n", 2, 1,
            "linear needs flat input, the layer before gives 6x30x30; put `flatten` before it"
        ),
        ("flatten\nbatchnorm\n", 2, 1, "batchnorm needs a CxHxW input, the layer before gives 3072 values"),
        ("maxpool 32\nmaxpool 2\n", 2, 1, "maxpool with kernel 2 does not fit its 1x1 input"),
        (
            "conv 4 kernel=32 stride=2 padding=1\nconv 4 kernel=5 padding=1\n", 2, 1,
            "conv with kernel 5 and padding 1 does not fit its 2x2 input"
        ),
        (
            "conv 6\nflatten\n", 2, 1,
            "the network ends in 5400 values, but must end in the 10 class scores: finish with `linear classes`"
        ),
        (
            "r: residual {\nconv 8 kernel=3 padding=same\n}\n", 1, 4,
            "the residual body turns 3x32x32 into 8x32x32, but its shortcut (the identity; add a `shortcut {` block) keeps 3x32x32"
        ),
        (
            "s: repeat 6 {\nmaxpool 2\n}\n", 2, 1,
            "maxpool with kernel 2 does not fit its 1x1 input (in pass 6 of the repeat)"
        ),
        ("conv 65536 kernel=32\nconv 65536 kernel=1\n", 2, 1, "conv has more than 2147483648 weights"),
    ]

    @Test(arguments: misfits)
    func networkThatDoesNotFitTheDataIsRefused(bad: (text: String, line: Int, column: Int, message: String)) throws {
        #expect(throws: NetworkError(file: "test.net", line: bad.line, column: bad.column, message: bad.message)) {
            try Self.resolve(bad.text)
        }
    }

    @Test func errorReadsLikeACompilerDiagnostic() {
        let error = NetworkError(
            file: "vgg.net", line: 7, column: 5, message: "linear expects 2048 inputs, the layer before gives 4096")
        #expect("\(error)" == "vgg.net:7:5: linear expects 2048 inputs, the layer before gives 4096")
    }
}
