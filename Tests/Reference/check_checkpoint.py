"""Checks that convtop checkpoints load into PyTorch with load_state_dict(strict=True) and give convtop's logits.

    mkdir -p /tmp/ckpt
    CONVTOP_CHECKPOINT_EXPORT=/tmp/ckpt swift test -c release --filter checkpointReproducesItsLogits
    /root/torchenv/bin/python Tests/Reference/check_checkpoint.py /tmp/ckpt

The test writes, per preset, <preset>.safetensors (a checkpoint after three SGD steps) and
<preset>-logits.safetensors (an input batch and the logits convtop computed for it in evaluation
mode). For each, this script loads the checkpoint with safetensors.torch.load_file, drops the
optimizer tensors (keys starting with "optimizer."), loads the rest into the PyTorch network with
load_state_dict(strict=True), runs the input and compares. lenet goes into the CIFAR-10 tutorial's
Net exactly as the tutorial writes it; other presets into their twins in make_reference.py.
Exit status 0 when every checkpoint agrees.
"""
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference import PRESETS  # noqa: E402


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


def check(checkpoint: Path, logits_file: Path) -> bool:
    with safe_open(str(checkpoint), "pt") as f:
        metadata = f.metadata()
    channels, height, width = (int(v) for v in metadata["input_shape"].split("x"))
    classes = int(metadata["classes"])
    name = metadata["model"]
    if (name, channels, height, width, classes) == ("lenet", 3, 32, 32, 10):
        net, label = Net(), "the tutorial's Net"
    else:
        net, label = PRESETS[name](channels, height, classes), f"make_reference.{PRESETS[name].__name__}"
    tensors = load_file(str(checkpoint))
    state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    net.load_state_dict(state, strict=True)
    net.eval()
    reference = load_file(str(logits_file))
    with torch.no_grad():
        logits = net(reference["input"])
    difference = (logits - reference["logits"]).abs().max().item()
    scale = reference["logits"].abs().max().item()
    ok = difference <= 1e-4 * max(1.0, scale)
    print(f"{checkpoint.name}: {name} {metadata['input_shape']} into {label}, {len(state)} tensors "
          f"({len(tensors) - len(state)} optimizer tensors dropped), strict load OK; logits {tuple(logits.shape)} "
          f"largest difference {difference:.3g} (largest logit {scale:.3g}): {'OK' if ok else 'MISMATCH'}")
    return ok


folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
pairs = [(folder / f"{p.name[:-len('-logits.safetensors')]}.safetensors", p)
         for p in sorted(folder.glob("*-logits.safetensors"))]
if not pairs:
    sys.exit(f"{folder}: no <preset>-logits.safetensors files; see this script's docstring")
results = [check(checkpoint, logits) for checkpoint, logits in pairs]
sys.exit(0 if all(results) else 1)
