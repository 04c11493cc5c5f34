extension ModelExport {
    /// `model.py`: the network as a PyTorch `nn.Module` (`Net`), whose `state_dict` keys are the
    /// names in `weights`, so `Net().load_state_dict(load_file("model.safetensors"))` works. Like the
    /// ONNX model it takes images scaled to [0, 1] and normalises them first.
    public func pytorchModule() -> String {
        let shape = network.inputShape.map(String.init).joined(separator: ", ")
        let floats = { (values: [Float]) in "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        return """
            \"\"\"\(network.name): a convtop network as a PyTorch module, written by `convtop export`.

                from safetensors.torch import load_file
                from model import Net, CLASSES
                net = Net()
                net.load_state_dict(load_file("model.safetensors"))
                net.eval()
                logits = net(images)  # images (N, \(shape)) scaled to [0, 1]

            The state_dict keys are the tensor names in model.safetensors and in convtop's checkpoints.
            \"\"\"
            from collections import OrderedDict

            import torch
            import torch.nn as nn

            CLASSES = [\(classNames.map(Self.jsonString).joined(separator: ", "))]
            MEAN = \(floats(mean))
            STD = \(floats(std))


            class GlobalAvgPool(nn.Module):
                \"\"\"(N, C, H, W) -> (N, C): the mean of each plane.\"\"\"

                def forward(self, x):
                    return x.mean((2, 3))


            class Residual(nn.Module):
                \"\"\"x -> body(x) + shortcut(x), the identity without a shortcut. The body's layers are this
                module's own children, so their state_dict names carry no prefix.\"\"\"

                def __init__(self, body, shortcut=None):
                    super().__init__()
                    for name, layer in body.items():
                        self.add_module(name, layer)
                    self._body_names = list(body)
                    self.shortcut = shortcut

                def forward(self, x):
                    y = x
                    for name in self._body_names:
                        y = self._modules[name](y)
                    return y + (x if self.shortcut is None else self.shortcut(x))


            class Net(nn.Sequential):
                \"\"\"\(network.name) for \(network.inputShape.map(String.init).joined(separator: "x")) images and \(network.classes) classes.\"\"\"

                def __init__(self):
                    super().__init__(\(Self.entries(network.layers, indent: 2)))

                def forward(self, x):
                    mean = torch.tensor(MEAN, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
                    std = torch.tensor(STD, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
                    return super().forward((x - mean) / std)

            """
    }

    /// `OrderedDict([("name", module), ...])` with one layer per line at `indent` levels.
    private static func entries(_ layers: [ResolvedLayer], indent: Int) -> String {
        let inner = String(repeating: "    ", count: indent + 1)
        let lines = layers.map { inner + "(\"\($0.name)\", \(module($0, indent: indent + 1)))," }
        return "OrderedDict([\n" + lines.joined(separator: "\n") + "\n" + String(repeating: "    ", count: indent)
            + "])"
    }

    private static func module(_ layer: ResolvedLayer, indent: Int) -> String {
        switch layer.operation {
        case .conv(let c):
            return
                "nn.Conv2d(\(c.inChannels), \(c.outChannels), \(c.kernel), stride=\(c.stride), padding=\(c.padding), "
                + "bias=\(c.bias ? "True" : "False"))"
        case .linear(let inFeatures, let outFeatures): return "nn.Linear(\(inFeatures), \(outFeatures))"
        case .batchNorm(let channels): return "nn.BatchNorm2d(\(channels))"
        case .relu: return "nn.ReLU()"
        case .maxPool(let kernel, let stride): return "nn.MaxPool2d(\(kernel), stride=\(stride))"
        case .avgPool(let kernel, let stride): return "nn.AvgPool2d(\(kernel), stride=\(stride))"
        case .globalAvgPool: return "GlobalAvgPool()"
        case .dropout(let probability): return "nn.Dropout(\(probability))"
        case .flatten: return "nn.Flatten()"
        case .residual(let body, let shortcut):
            return "Residual(\(entries(body, indent: indent))"
                + (shortcut.map { ", shortcut=nn.Sequential(\(entries($0, indent: indent)))" } ?? "") + ")"
        case .repeat(let passes):
            let inner = String(repeating: "    ", count: indent + 1)
            return "nn.Sequential(\n"
                + passes.map { inner + "nn.Sequential(\(entries($0, indent: indent + 1)))," }
                .joined(separator: "\n") + "\n" + String(repeating: "    ", count: indent) + ")"
        }
    }
}
