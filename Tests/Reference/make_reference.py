"""PyTorch twins of convtop's model presets and the reference fixtures the Swift tests compare against.

Run from the repository root with a Python that has torch, safetensors and numpy (not a runtime
dependency of convtop):

    /root/torchenv/bin/python Tests/Reference/make_reference.py

It writes Tests/ConvEngineTests/Fixtures/:
- lenet.safetensors, bnnet.safetensors: fixed weights and inputs, then PyTorch's logits, loss,
  every parameter gradient, the batch-norm buffers after the forward pass, and the parameters
  (and optimizer state, for bnnet) after 3 steps of SGD with momentum and after 3 steps of Adam /
  AdamW on the same batch. The hyperparameters are in the file's __metadata__.
- preset_state_dicts.json: the state_dict names and shapes of every preset for 3x32x32 and 1x28x28.

The twins' attribute names are convtop's parameter names, so `state_dict()` keys match exactly.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ConvEngineTests", "Fixtures")


class LeNet(nn.Module):
    """The CIFAR-10 tutorial's Net; fc1 takes whatever the two conv/pool stages leave."""

    def __init__(self, channels=3, size=32, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((size - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def conv_bn(model, index, cin, cout):
    """Registers conv<index> (3x3, padding 1, no bias) and bn<index>, as convtop's convBNReLU."""
    setattr(model, f"conv{index}", nn.Conv2d(cin, cout, 3, padding=1, bias=False))
    setattr(model, f"bn{index}", nn.BatchNorm2d(cout))


def apply_conv_bn(model, index, x):
    return F.relu(getattr(model, f"bn{index}")(getattr(model, f"conv{index}")(x)))


class Residual(nn.Module):
    """x + relu(bn2(conv2(relu(bn1(conv1(x)))))), convtop's Residual with an identity shortcut."""

    def __init__(self, channels):
        super().__init__()
        conv_bn(self, 1, channels, channels)
        conv_bn(self, 2, channels, channels)

    def forward(self, x):
        return x + apply_conv_bn(self, 2, apply_conv_bn(self, 1, x))


class ConvNet5(nn.Module):
    def __init__(self, channels=3, size=32, classes=10):
        super().__init__()
        for index, (cin, cout) in enumerate([(channels, 32), (32, 32), (32, 64), (64, 64), (64, 128)], 1):
            conv_bn(self, index, cin, cout)
        side = size // 2 // 2 // 2
        self.fc = nn.Linear(128 * side * side, classes)

    def forward(self, x):
        x = apply_conv_bn(self, 2, apply_conv_bn(self, 1, x))
        x = F.max_pool2d(x, 2)
        x = apply_conv_bn(self, 4, apply_conv_bn(self, 3, x))
        x = F.max_pool2d(x, 2)
        x = F.max_pool2d(apply_conv_bn(self, 5, x), 2)
        return self.fc(torch.flatten(x, 1))


class ResNet9(nn.Module):
    """Myrtle's ResNet-9 at widths w, 2w, 4w, 8w with global average pooling; resnet9 is w = 16,
    resnet9small w = 8."""

    def __init__(self, channels=3, size=32, classes=10, width=16):
        super().__init__()
        w = width
        conv_bn(self, 1, channels, w)
        conv_bn(self, 2, w, 2 * w)
        self.res1 = Residual(2 * w)
        conv_bn(self, 3, 2 * w, 4 * w)
        conv_bn(self, 4, 4 * w, 8 * w)
        self.res2 = Residual(8 * w)
        self.fc = nn.Linear(8 * w, classes)

    def forward(self, x):
        x = apply_conv_bn(self, 1, x)
        x = self.res1(F.max_pool2d(apply_conv_bn(self, 2, x), 2))
        x = F.max_pool2d(apply_conv_bn(self, 3, x), 2)
        x = self.res2(F.max_pool2d(apply_conv_bn(self, 4, x), 2))
        return self.fc(x.mean((2, 3)))


class ResNet6(nn.Module):
    """Widths w, 2w, 4w, each conv max-pooled before its batch norm and ReLU, a residual block on the
    eighth-size features, global average pooling; resnet6 is w = 16."""

    def __init__(self, channels=3, size=32, classes=10, width=16):
        super().__init__()
        w = width
        conv_bn(self, 1, channels, w)
        conv_bn(self, 2, w, 2 * w)
        conv_bn(self, 3, 2 * w, 4 * w)
        self.res1 = Residual(4 * w)
        self.fc = nn.Linear(4 * w, classes)

    def forward(self, x):
        for index in (1, 2, 3):
            x = F.relu(getattr(self, f"bn{index}")(F.max_pool2d(getattr(self, f"conv{index}")(x), 2)))
        return self.fc(self.res1(x).mean((2, 3)))


class BNNet(nn.Module):
    """The small batch-norm net of the fixtures: conv-BN-ReLU, pool, a residual block, conv-BN-ReLU,
    global average pooling, linear. Built in Swift from public layers in ReferenceFixtureTests."""

    def __init__(self):
        super().__init__()
        conv_bn(self, 1, 3, 4)
        self.res1 = Residual(4)
        conv_bn(self, 2, 4, 6)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = F.max_pool2d(apply_conv_bn(self, 1, x), 2)
        x = apply_conv_bn(self, 2, self.res1(x))
        return self.fc(x.mean((2, 3)))


PRESETS = {"lenet": LeNet, "convnet5": ConvNet5, "resnet9": ResNet9,
           "resnet9small": lambda *args, **kwargs: ResNet9(*args, width=8, **kwargs), "resnet6": ResNet6}


def buffers(model):
    names = {name for name, _ in model.named_parameters()}
    return {name: value for name, value in model.state_dict().items() if name not in names}


def run_steps(model, initial, make_optimizer, x, labels, smoothing, steps=3):
    """Loads `initial`, takes `steps` optimizer steps on the same batch, returns the losses."""
    model.load_state_dict(initial)
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels, label_smoothing=smoothing)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return optimizer, losses


def write_fixture(name, model, x, labels, config, save_optimizer_state):
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    smoothing = float(config["label_smoothing"])
    tensors = {}

    def record(entries):
        """Copies now: parameters, buffers and gradients change in place later."""
        tensors.update({k: v.detach().clone().contiguous() for k, v in entries.items()})

    record({"input": x, "labels": labels.to(torch.int64)})
    record({f"param.{k}": v for k, v in model.named_parameters()})
    record({f"buffer.{k}": v for k, v in buffers(model).items()})

    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    loss.backward()
    record({"logits": logits, "loss": loss})
    record({f"grad.{k}": p.grad for k, p in model.named_parameters()})
    record({f"forward_buffer.{k}": v for k, v in buffers(model).items()})

    param_names = {id(p): n for n, p in model.named_parameters()}
    for prefix, make in [
        ("sgd", lambda ps: torch.optim.SGD(ps, lr=float(config["sgd_lr"]), momentum=float(config["sgd_momentum"]),
                                           weight_decay=float(config["sgd_weight_decay"]),
                                           nesterov=config["sgd_nesterov"] == "true")),
        ("adam", lambda ps: (torch.optim.AdamW if config["adam_decoupled"] == "true" else torch.optim.Adam)(
            ps, lr=float(config["adam_lr"]), weight_decay=float(config["adam_weight_decay"]))),
    ]:
        optimizer, losses = run_steps(model, initial, make, x, labels, smoothing)
        record({f"{prefix}.losses": torch.tensor(losses)})
        record({f"{prefix}.param.{k}": v for k, v in model.named_parameters()})
        record({f"{prefix}.buffer.{k}": v for k, v in buffers(model).items()})
        model.eval()
        record({f"{prefix}.eval_logits": model(x)})
        model.train()
        if save_optimizer_state:
            record({f"{prefix}.state.{param_names[id(p)]}.{key}": value.to(torch.float32)
                    for p, state in optimizer.state.items() for key, value in state.items()})

    path = os.path.join(FIXTURES, f"{name}.safetensors")
    save_file(tensors, path, metadata=config)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


# Hyperparameters per fixture, stored in its __metadata__ so the Swift test reads the same values.
# lenet runs plain momentum SGD with weight decay and Adam; bnnet Nesterov SGD and AdamW.
CONFIGS = {
    "lenet": {"label_smoothing": "0.1", "sgd_lr": "0.05", "sgd_momentum": "0.9", "sgd_weight_decay": "0.0005",
              "sgd_nesterov": "false", "adam_lr": "0.001", "adam_weight_decay": "0.0", "adam_decoupled": "false"},
    "bnnet": {"label_smoothing": "0.0", "sgd_lr": "0.1", "sgd_momentum": "0.9", "sgd_weight_decay": "0.001",
              "sgd_nesterov": "true", "adam_lr": "0.01", "adam_weight_decay": "0.01", "adam_decoupled": "true"},
}


def main():
    torch.manual_seed(0)
    os.makedirs(FIXTURES, exist_ok=True)

    # LeNet on 1x28x28 keeps the fixture small and checks the adapted fc1 size.
    lenet = LeNet(channels=1, size=28, classes=10)
    x = torch.randn(4, 1, 28, 28)
    write_fixture("lenet", lenet, x, torch.tensor([3, 7, 0, 3]), CONFIGS["lenet"], save_optimizer_state=False)

    bnnet = BNNet()
    with torch.no_grad():  # non-trivial affine parameters, so that their gradients matter
        for module in bnnet.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    x = torch.randn(4, 3, 8, 8) * 2 + 0.5
    write_fixture("bnnet", bnnet, x, torch.tensor([1, 4, 0, 2]), CONFIGS["bnnet"], save_optimizer_state=True)

    shapes = {}
    for name, cls in PRESETS.items():
        for channels, size in [(3, 32), (1, 28)]:
            model = cls(channels=channels, size=size, classes=10)
            shapes[f"{name} {channels}x{size}x{size}"] = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    path = os.path.join(FIXTURES, "preset_state_dicts.json")
    with open(path, "w") as f:
        json.dump(shapes, f, indent=0)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
