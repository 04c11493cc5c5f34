"""PyTorch's DataLoader over torchvision's ImageFolder pipeline with PIL: images/s, to set beside
`convtop data bench FOLDER --threads 2` (the same decode, Resize + CenterCrop to the same size).

torchvision is not in the reference venv, so its ImageFolder and its PIL transforms are written
out here as torchvision runs them: sorted class folders, `Image.open(path).convert("RGB")`,
`Resize(size)` (PIL bilinear on the shorter side, the longer truncated), `CenterCrop(size)` and
`PILToTensor`.

    /root/torchenv/bin/python Tests/Reference/bench_imagefolder.py FOLDER [--size 32] [--workers 2]

Every split folder (train/, val/, test/) or the folder itself is read once per epoch; PyTorch has
no decode cache, so every epoch costs what the first one does.
"""
import argparse, os, time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader, Dataset

EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFolder(Dataset):
    """torchvision.datasets.ImageFolder with its default PIL loader."""

    def __init__(self, root, size):
        classes = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
        self.samples = []
        for label, name in enumerate(classes):
            for folder, _, files in sorted(os.walk(os.path.join(root, name), followlinks=True)):
                self.samples += [(os.path.join(folder, f), label) for f in sorted(files) if f.lower().endswith(EXTENSIONS)]
        self.size = size

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        with open(path, "rb") as file:
            image = Image.open(file).convert("RGB")
        width, height = image.size
        size = self.size
        new = (size, int(size * height / width)) if width <= height else (int(size * width / height), size)
        image = image.resize(new, Image.BILINEAR)
        left, top = int(round((new[0] - size) / 2)), int(round((new[1] - size) / 2))
        image = image.crop((left, top, left + size, top + size))
        return torch.from_numpy(np.asarray(image).transpose(2, 0, 1).copy()), label


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    splits = [os.path.join(args.folder, s) for s in ("train", "val", "valid", "validation", "test")
              if os.path.isdir(os.path.join(args.folder, s))] or [args.folder]
    dataset = ConcatDataset([ImageFolder(s, args.size) for s in splits])
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
