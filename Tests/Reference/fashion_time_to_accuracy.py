"""Time to accuracy on real Fashion-MNIST in PyTorch: which preset and schedule reach 92% test
accuracy with the least training work, to pick the `fast` recipe's defaults for grey images.

    /root/torchenv/bin/python Tests/Reference/fashion_time_to_accuracy.py --model M --epochs E
        [--batch B] [--lr LR] [--smoothing S] [--augment none|flip|crop|standard] [--seeds 0 1 ...]
        [--threads T] [--data DIR] [--spec "c32 p c64 r p c128 p gap"]

Trains as `convtop train` does: normalised by the training images' mean and deviation, crops of the
image zero-padded by height / 8 = 3 pixels and left-right flips (`standard`), SGD with Nesterov
momentum 0.9 and weight decay 5e-4, PyTorch's OneCycleLR without momentum cycling (as convtop's
`onecycle`), label smoothing, a test evaluation after every epoch. Prints one JSON line per run
with the accuracy after every epoch and the training and evaluation seconds.

`--spec` builds an exploratory net from tokens: `c<N>` conv 3x3 + BN + ReLU to N channels, `p` max
pool 2, `r` a residual block at the current width, `gap` global average pooling (the linear head
follows; without `gap` it flattens).
"""

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import PRESETS, Residual  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory):
    def part(name):
        return read_idx(os.path.join(directory, name))
    return (part("train-images-idx3-ubyte.gz"), part("train-labels-idx1-ubyte.gz"),
            part("t10k-images-idx3-ubyte.gz"), part("t10k-labels-idx1-ubyte.gz"))


class SpecNet(nn.Module):
    def __init__(self, spec, channels=1, size=28, classes=10):
        super().__init__()
        self.steps = []
        width, side, index = channels, size, 0
        for token in spec.split():
            if token.startswith("c"):
                index += 1
                out = int(token[1:])
                setattr(self, f"conv{index}", nn.Conv2d(width, out, 3, padding=1, bias=False))
                setattr(self, f"bn{index}", nn.BatchNorm2d(out))
                self.steps.append(("c", index))
                width = out
            elif token == "p":
                self.steps.append(("p", None))
                side //= 2
            elif token == "r":
                index += 1
                setattr(self, f"res{index}", Residual(width))
                self.steps.append(("r", index))
            elif token == "gap":
                self.steps.append(("gap", None))
                side = 1
            else:
                raise ValueError(f"unknown spec token {token}")
        self.fc = nn.Linear(width * side * side, classes)

    def forward(self, x):
        for kind, index in self.steps:
            if kind == "c":
                x = F.relu(getattr(self, f"bn{index}")(getattr(self, f"conv{index}")(x)))
            elif kind == "p":
                x = F.max_pool2d(x, 2)
            elif kind == "r":
                x = getattr(self, f"res{index}")(x)
            else:
                x = x.mean((2, 3), keepdim=True)
        return self.fc(torch.flatten(x, 1))


def forward_flops(model, shape):
    """Multiply-adds x 2 of the convolutions and linear layers for one image."""
    total = 0

    def conv_hook(module, inputs, output):
        nonlocal total
        total += 2 * output[0].numel() * module.in_channels * module.kernel_size[0] * module.kernel_size[1]

    def linear_hook(module, inputs, output):
        nonlocal total
        total += 2 * module.in_features * module.out_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for hook in hooks:
        hook.remove()
    return total


def augment(batch, padding, flip, generator):
    """Random crops of the zero-padded raw images and left-right flips, per image."""
    n, _, h, w = batch.shape
    if padding > 0:
        padded = F.pad(batch, (padding, padding, padding, padding))
        dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :]
        batch = padded[torch.arange(n)[:, None, None, None], torch.arange(batch.shape[1])[None, :, None, None],
                       rows, cols]
    if flip:
        mask = torch.rand(n, generator=generator) < 0.5
        batch = torch.where(mask[:, None, None, None], batch.flip(3), batch)
    return batch


def evaluate(model, images, labels, batch=1000, tta=False):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = images[start:start + batch]
            logits = model(x)
            if tta:
                logits = logits + model(x.flip(3))
            correct += (logits.argmax(1) == labels[start:start + batch]).sum().item()
    model.train()
    return correct / len(images)


def run(args, seed, data):
    train_x, train_y, test_x, test_y = data
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SpecNet(args.spec) if args.spec else PRESETS[args.model](1, 28, 10)
    flops = forward_flops(model, (1, 28, 28))
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    steps_per_epoch = (len(train_x) + args.batch - 1) // args.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps_per_epoch, cycle_momentum=False,
                                                   pct_start=args.warmup)
    pixels_mean, pixels_std = train_x.mean(), train_x.std()
    test = (test_x - pixels_mean) / pixels_std
    padding = 3 if args.augment in ("crop", "standard") else 0
    flip = args.augment in ("flip", "standard")
    accuracies, train_seconds, eval_seconds = [], 0.0, 0.0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(train_x), generator=generator)
        for first in range(0, len(train_x), args.batch):
            index = order[first:first + args.batch]
            x = augment(train_x[index], padding, flip, generator)
            x = (x - pixels_mean) / pixels_std
            loss = F.cross_entropy(model(x), train_y[index], label_smoothing=args.smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        train_seconds += time.perf_counter() - start
        if epoch == args.epochs - 1 or args.every_epoch:
            start = time.perf_counter()
            accuracies.append(round(evaluate(model, test, test_y), 4))
            eval_seconds += time.perf_counter() - start
    record = {"model": args.spec or args.model, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
              "smoothing": args.smoothing, "augment": args.augment, "warmup": args.warmup,
              "weight_decay": args.weight_decay, "seed": seed, "mflop_fwd": round(flops / 1e6, 2),
              "accuracy": accuracies, "tta": round(evaluate(model, test, test_y, tta=True), 4),
              "train_s": round(train_seconds, 1), "eval_s": round(eval_seconds, 1),
              "img_s": round(args.epochs * len(train_x) / train_seconds)}
    print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet9small")
    parser.add_argument("--spec")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--smoothing", type=float, default=0.1)
    parser.add_argument("--augment", default="standard", choices=["none", "flip", "crop", "standard"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--every-epoch", action="store_true", help="evaluate after every epoch, as convtop")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_x, train_y, test_x, test_y = load(args.data)
    data = (torch.from_numpy(train_x.astype(np.float32))[:, None], torch.from_numpy(train_y.astype(np.int64)),
            torch.from_numpy(test_x.astype(np.float32))[:, None], torch.from_numpy(test_y.astype(np.int64)))
    for seed in args.seeds:
        run(args, seed, data)


if __name__ == "__main__":
    main()
