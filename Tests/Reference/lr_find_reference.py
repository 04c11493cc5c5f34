"""The learning-rate range test on the PyTorch twin, with PyTorch Lightning's own `LearningRateFinder`
(`Tuner.lr_find`), to set beside `convtop lr-find` on the same model, data and optimizer.

    PYTHONPATH=<lightning> /root/torchenv/bin/python Tests/Reference/lr_find_reference.py \\
        --data /path/to/cifar-10-batches-bin [--model resnet9] [--batch 128] [--steps 100] [--threads 2]

Data as convtop reads it without augmentation: the five CIFAR-10 training batches, normalised by the
training images' own per-channel mean and deviation, shuffled with a fixed seed. SGD with momentum
0.9 (no Nesterov) and weight decay 5e-4, the loss PyTorch's cross-entropy. Lightning sweeps from
1e-7 to 10 exponentially over --steps batches and stops once its smoothed loss passes 4x its
minimum, as convtop does. Prints one JSON line: Lightning's suggestion (the steepest descent of the
smoothed loss with respect to the rate), fastai's valley computed on Lightning's curve (convtop's
rule, `LearningRateFinder.valley` in Swift, transcribed below), and the curve itself.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import lightning.pytorch as pl
from lightning.pytorch.tuner import Tuner

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import PRESETS  # noqa: E402


def load_cifar(directory):
    records = []
    for i in range(1, 6):
        raw = np.fromfile(os.path.join(directory, f"data_batch_{i}.bin"), dtype=np.uint8)
        records.append(raw.reshape(-1, 3073))
    data = np.concatenate(records)
    labels = torch.from_numpy(data[:, 0].astype(np.int64))
    images = torch.from_numpy(data[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    mean = images.mean(dim=(0, 2, 3), keepdim=True)
    std = images.std(dim=(0, 2, 3), keepdim=True)
    return (images - mean) / std, labels


def valley(lrs, losses, num_it):
    """fastai's `valley` on `lrs[num_it // 10:-5]`, cut at the first NaN (fastai.callback.schedule)."""
    lrs, losses = lrs[num_it // 10:-5], losses[num_it // 10:-5]
    nan = [i for i, loss in enumerate(losses) if loss != loss]
    if nan:
        lrs, losses = lrs[:nan[0]], losses[:nan[0]]
    if not losses:
        return None
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return lrs[max_start + int(sections) + int(sections / 2)]


class Classifier(pl.LightningModule):
    def __init__(self, net, lr):
        super().__init__()
        self.net = net
        self.lr = lr

    def training_step(self, batch, batch_idx):
        images, labels = batch
        return F.cross_entropy(self.net(images), labels)

    def configure_optimizers(self):
        return torch.optim.SGD(self.net.parameters(), lr=self.lr, momentum=0.9, weight_decay=5e-4)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", default="resnet9")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pl.seed_everything(args.seed, verbose=False)
    images, labels = load_cifar(args.data)
    loader = DataLoader(TensorDataset(images, labels), batch_size=args.batch, shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed))
    model = Classifier(PRESETS[args.model](channels=3, size=32, classes=10), lr=0.1)
    trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, max_epochs=1)
    finder = Tuner(trainer).lr_find(model, train_dataloaders=loader, min_lr=1e-7, max_lr=10,
                                    num_training=args.steps, mode="exponential", early_stop_threshold=4.0,
                                    update_attr=False)
    lrs, losses = finder.results["lr"], finder.results["loss"]
    print(json.dumps({
        "model": args.model, "batch": args.batch, "steps": args.steps, "points": len(losses),
        "lightning_suggestion": finder.suggestion(), "valley_on_lightning_curve": valley(lrs, losses, args.steps),
        "lrs": lrs, "smoothed_losses": losses,
    }))


if __name__ == "__main__":
    main()
