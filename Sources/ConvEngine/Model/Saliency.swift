/// Where a model looks when it scores a class, one map per image: Grad-CAM of its last
/// convolution, or, for a model without a convolution, the input-gradient saliency.
public struct Saliency {
    public enum Method: Sendable, Equatable {
        /// Grad-CAM (Selvaraju et al., 2017) of the convolution with this `state_dict` prefix: the
        /// convolution's output channels weighted by the spatial mean of the class logit's gradient,
        /// summed, passed through a ReLU and upsampled bilinearly to the image.
        case gradCAM(layer: String)
        /// The gradient of the class logit with respect to the image, its largest absolute value
        /// over the channels (Simonyan et al., 2014).
        case inputGradient
    }

    public let method: Method
    /// (N, H, W): one non-negative map per image, at the image's height and width.
    public let maps: Tensor
    /// The class each map explains.
    public let classes: [Int]
    /// The model's most probable class for each image (the first of equal logits).
    public let predicted: [Int]
}

extension Model {
    /// Saliency maps of `input` (N, C, H, W) for `classes[n]` of image n, or for each image's
    /// predicted class when `classes` is nil.
    ///
    /// The model runs in evaluation mode (batch norm on its running statistics, no dropout), so
    /// each image's map depends on that image alone and a batch gives the maps of its images one by
    /// one. The backward pass adds into the parameter gradients of the layers it passes through:
    /// zero the gradients before the next training step (the training loop does at every step).
    public func saliency(for input: Tensor, classes: [Int]? = nil) -> Saliency {
        let n = input.shape[0], height = input.shape[2], width = input.shape[3]
        let logits = forward(input, training: false)
        let classCount = logits.shape[1]
        let predicted = (0..<n).map { row in
            let scores = logits.data + row * classCount
            return (0..<classCount).reduce(0) { scores[$1] > scores[$0] ? $1 : $0 }
        }
        let explained = classes ?? predicted
        precondition(explained.count == n, "\(explained.count) classes for \(n) images")
        let logitGradient = Tensor(shape: [n, classCount])
        for (row, label) in explained.enumerated() {
            precondition(label >= 0 && label < classCount, "class \(label) is not one of \(classCount)")
            logitGradient[row * classCount + label] = 1
        }
        let maps = Tensor(shape: [n, height, width])
        guard let target = lastConvolution(in: network, prefix: "") else {
            let gradient = network.backward(logitGradient)
            let channels = input.shape[1], plane = height * width
            for image in 0..<n {
                for position in 0..<plane {
                    var largest: Float = 0
                    for c in 0..<channels {
                        largest = max(largest, abs(gradient[(image * channels + c) * plane + position]))
                    }
                    maps[image * plane + position] = largest
                }
            }
            return Saliency(method: .inputGradient, maps: maps, classes: explained, predicted: predicted)
        }
        // dLogit/dActivation: back through the layers that run after the convolution, innermost
        // sequence last; a residual block's body gets the gradient of the block's output as it is.
        var gradient = logitGradient
        for (sequence, index) in target.path {
            for step in sequence.runOrder[(index + 1)...].reversed() { gradient = step.layer.backward(gradient) }
        }
        let activation = target.layer.output
        let channels = activation.shape[1], mapHeight = activation.shape[2], mapWidth = activation.shape[3]
        let plane = mapHeight * mapWidth
        var cam = [Float](repeating: 0, count: plane)
        for image in 0..<n {
            cam.withUnsafeMutableBufferPointer { camBuffer in
                camBuffer.update(repeating: 0)
                for c in 0..<channels {
                    let offset = (image * channels + c) * plane
                    var weight: Float = 0
                    for i in 0..<plane { weight += gradient[offset + i] }
                    weight /= Float(plane)
                    for i in 0..<plane { camBuffer[i] += weight * activation[offset + i] }
                }
                for i in 0..<plane { camBuffer[i] = max(camBuffer[i], 0) }
                Self.upsampleBilinear(
                    UnsafePointer(camBuffer.baseAddress!), height: mapHeight, width: mapWidth,
                    into: maps.data + image * height * width, height: height, width: width)
            }
        }
        return Saliency(method: .gradCAM(layer: target.name), maps: maps, classes: explained, predicted: predicted)
    }

    /// Resizes one plane as `torch.nn.functional.interpolate(mode: "bilinear", align_corners: False)`:
    /// output pixel centres map onto the input's, and samples beyond the edge take the edge value.
    static func upsampleBilinear(
        _ source: UnsafePointer<Float>, height: Int, width: Int,
        into target: UnsafeMutablePointer<Float>, height outHeight: Int, width outWidth: Int
    ) {
        func taps(_ index: Int, input: Int, output: Int) -> (Int, Int, Float) {
            let position = max(0, (Float(index) + 0.5) * Float(input) / Float(output) - 0.5)
            let low = min(Int(position), input - 1)
            return (low, min(low + 1, input - 1), position - Float(low))
        }
        for y in 0..<outHeight {
            let (y0, y1, fy) = taps(y, input: height, output: outHeight)
            for x in 0..<outWidth {
                let (x0, x1, fx) = taps(x, input: width, output: outWidth)
                let top = (1 - fx) * source[y0 * width + x0] + fx * source[y0 * width + x1]
                let bottom = (1 - fx) * source[y1 * width + x0] + fx * source[y1 * width + x1]
                target[y * outWidth + x] = (1 - fy) * top + fy * bottom
            }
        }
    }
}

/// The last convolution of `sequence` in the order the layers run, looking into nested sequences
/// and residual bodies (a shortcut's convolution only projects the skip, so it is not the one the
/// classifier reads), with its `state_dict` prefix and its place: each enclosing sequence with the
/// index in its run order of the step that holds it, outermost first.
private func lastConvolution(in sequence: Sequential, prefix: String)
    -> (path: [(sequence: Sequential, index: Int)], name: String, layer: Conv2d)?
{
    for (index, step) in sequence.runOrder.enumerated().reversed() {
        let name = prefix + step.name
        let inner: (path: [(sequence: Sequential, index: Int)], name: String, layer: Conv2d)? =
            switch step.layer {
            case let conv as Conv2d: ([], name, conv)
            case let nested as Sequential: lastConvolution(in: nested, prefix: name + ".")
            case let block as Residual: lastConvolution(in: block.body, prefix: name + ".")
            default: nil
            }
        if let inner { return ([(sequence, index)] + inner.path, inner.name, inner.layer) }
    }
    return nil
}
