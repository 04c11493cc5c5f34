"""PyTorch's ImageFolder + PIL + DataLoader on an image folder: images/s, to set beside
`convtop data bench FOLDER --threads 2` (the same decode, Resize + CenterCrop to the same size).

    /root/torchenv/bin/python Tests/Reference/bench_imagefolder.py FOLDER [--size 32] [--workers 2]

Every split folder (train/, val/, test/) or the folder itself is read once per epoch; PyTorch has
no decode cache, so every epoch costs what the first one does.
"""
import argparse, os, time

import torch
from torch.utils.data import ConcatDataset, DataLoader
from torchvision import datasets, transforms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    transform = transforms.Compose([transforms.Resize(args.size), transforms.CenterCrop(args.size), transforms.PILToTensor()])
    splits = [os.path.join(args.folder, s) for s in ("train", "val", "valid", "validation", "test")
              if os.path.isdir(os.path.join(args.folder, s))] or [args.folder]
    dataset = ConcatDataset([datasets.ImageFolder(s, transform=transform) for s in splits])
    loader = DataLoader(dataset, batch_size=128, num_workers=args.workers, persistent_workers=False)
    rates = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        count = sum(len(labels) for _, labels in loader)
        rates.append(count / (time.perf_counter() - start))
    print(f"pytorch ImageFolder+PIL+DataLoader: {len(dataset)} files to {args.size}x{args.size} on {args.workers} workers: "
          f"median {sorted(rates)[len(rates) // 2]:.0f} images/s per epoch (epochs: {', '.join(f'{r:.0f}' for r in rates)})")


if __name__ == "__main__":
    main()
