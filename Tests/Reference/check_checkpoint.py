"""Checks that a convtop checkpoint loads into PyTorch's CIFAR-10 tutorial Net and gives convtop's logits.

    mkdir -p /tmp/ckpt
    CONVTOP_CHECKPOINT_EXPORT=/tmp/ckpt swift test -c release --filter lenetCheckpointReproducesItsLogits
    /root/torchenv/bin/python Tests/Reference/check_checkpoint.py /tmp/ckpt

The test writes lenet.safetensors (a trained lenet checkpoint) and logits.safetensors (an input batch and
the logits convtop computed for it in evaluation mode). This script loads the checkpoint with
safetensors.torch.load_file, drops the optimizer tensors (keys starting with "optimizer."), loads the rest
with load_state_dict(strict=True), runs the input and compares. Exit status 0 when they agree.
"""
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


class Net(nn.Module):
    """https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html, unchanged."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
checkpoint = folder / "lenet.safetensors"
with safe_open(str(checkpoint), "pt") as f:
    metadata = f.metadata()
print(f"{checkpoint}: model {metadata['model']} {metadata['input_shape']}, epoch {metadata['epoch']}, "
      f"step {metadata['step']}, optimizer {metadata['optimizer']}")
tensors = load_file(str(checkpoint))
state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
print(f"{len(state)} model tensors, {len(tensors) - len(state)} optimizer tensors dropped")

net = Net()
net.load_state_dict(state, strict=True)
net.eval()
reference = load_file(str(folder / "logits.safetensors"))
with torch.no_grad():
    logits = net(reference["input"])
difference = (logits - reference["logits"]).abs().max().item()
scale = reference["logits"].abs().max().item()
print(f"logits {tuple(logits.shape)}: largest difference {difference:.3g} (largest logit {scale:.3g})")
print("first row torch  :", [round(v, 5) for v in logits[0].tolist()[:5]])
print("first row convtop:", [round(v, 5) for v in reference["logits"][0].tolist()[:5]])
ok = difference <= 1e-4 * max(1.0, scale)
print("OK: PyTorch reproduces convtop's logits" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
