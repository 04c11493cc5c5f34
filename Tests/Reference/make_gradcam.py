"""PyTorch Grad-CAM and input-gradient saliency on fixed weights and images, for SaliencyTests.

Run from the repository root with a Python that has torch, safetensors and numpy (not a runtime
dependency of convtop):

    /root/torchenv/bin/python Tests/Reference/make_gradcam.py

It writes Tests/ConvEngineTests/Fixtures/gradcam.safetensors with three nets, each under its own
prefix (`resnet.`, `lenet.`, `mlp.`): the weights (`param.*`, `buffer.*`), the images (`input`),
the labels the maps of the second kind explain (`labels`), the predicted classes (`predicted`) and
the maps, (N, H, W), for the predicted class (`maps_predicted`) and for the labels (`maps_labels`).

- `resnet`: make_reference.py's ResNet-9 at width 2 on 3x16x16 images, batch norm in eval mode with
  random running statistics and affine parameters; Grad-CAM of its last convolution, res2.conv2,
  inside a residual block.
- `lenet`: the tutorial LeNet on 1x28x28; Grad-CAM of conv2 (no batch norm, ReLU then max pool).
- `mlp`: flatten, fc1 (linear 12), ReLU, fc2 on 1x6x6, which has no convolution: the largest absolute
  gradient of the class logit over the image's channels.

Grad-CAM here is Selvaraju et al.'s: the convolution's output A (kept with a forward hook), the
gradient G of the class logit with respect to it, channel weights = mean of G over the plane,
ReLU(sum_k weight_k * A_k), upsampled with bilinear interpolation (align_corners=False) to the image.
Everything runs in float64 so the fixture is exact to float32's precision.
"""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

from make_reference import FIXTURES, LeNet, ResNet9, buffers


class MLP(nn.Module):
    def __init__(self, pixels=36, hidden=12, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def grad_cam(model, layer, x, classes):
    kept = {}
    hook = layer.register_forward_hook(lambda module, inputs, output: kept.__setitem__("activation", output))
    logits = model(x)
    hook.remove()
    activation = kept["activation"]
    (gradient,) = torch.autograd.grad(logits.gather(1, classes[:, None]).sum(), activation)
    weights = gradient.mean((2, 3), keepdim=True)
    cam = F.relu((weights * activation).sum(1, keepdim=True))
    return F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]


def input_gradient(model, x, classes):
    x = x.clone().requires_grad_()
    logits = model(x)
    (gradient,) = torch.autograd.grad(logits.gather(1, classes[:, None]).sum(), x)
    return gradient.abs().amax(1)


def record(tensors, prefix, model, x, labels, saliency):
    model = model.double().eval()
    x = x.double()
    predicted = model(x).argmax(1)
    tensors.update({f"{prefix}.param.{k}": v for k, v in model.named_parameters()})
    tensors.update({f"{prefix}.buffer.{k}": v for k, v in buffers(model).items()})
    tensors[f"{prefix}.input"] = x
    tensors[f"{prefix}.labels"] = labels
    tensors[f"{prefix}.predicted"] = predicted
    tensors[f"{prefix}.maps_predicted"] = saliency(model, x, predicted)
    tensors[f"{prefix}.maps_labels"] = saliency(model, x, labels)


def main():
    torch.manual_seed(0)
    tensors = {}

    resnet = ResNet9(channels=3, size=16, classes=10, width=2)
    with torch.no_grad():
        for module in resnet.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    record(tensors, "resnet", resnet, torch.randn(3, 3, 16, 16), torch.tensor([1, 4, 7]),
           lambda m, x, c: grad_cam(m, m.res2.conv2, x, c))

    lenet = LeNet(channels=1, size=28, classes=10)
    record(tensors, "lenet", lenet, torch.randn(2, 1, 28, 28), torch.tensor([3, 9]),
           lambda m, x, c: grad_cam(m, m.conv2, x, c))

    mlp = MLP()
    record(tensors, "mlp", mlp, torch.randn(2, 1, 6, 6), torch.tensor([0, 5]), input_gradient)

    out = {k: (v.detach().to(torch.float32) if v.is_floating_point() else v.to(torch.int64)).contiguous()
           for k, v in tensors.items()}
    path = os.path.join(FIXTURES, "gradcam.safetensors")
    save_file(out, path)
    print(f"wrote {path}: {len(out)} tensors, {os.path.getsize(path)} bytes")
    for prefix in ("resnet", "lenet", "mlp"):
        maps = out[f"{prefix}.maps_predicted"]
        print(prefix, "predicted", out[f"{prefix}.predicted"].tolist(), "largest map value", float(maps.max()))


if __name__ == "__main__":
    main()
