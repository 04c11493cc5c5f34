#!/usr/bin/env python3
"""Make Assets/fashion-mnist-subset from Debian's dataset-fashion-mnist package.

Keeps the first TRAIN_PER_CLASS training and TEST_PER_CLASS test images of every class, in the
order the original files hold them, so the subset is balanced and the same on every run. The
output is IDX gzip, exactly like the original files, with a fixed gzip timestamp so re-running
the script reproduces the committed bytes.

    python3 Assets/make-fashion-mnist-subset.py [SOURCE_DIR]
"""
import gzip
import pathlib
import struct
import sys

TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100
CLASSES = 10


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def write_idx(path, dims, payload):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(header + payload)


def subset(source, target, prefix, per_class):
    (count, rows, cols), pixels = read_idx(source / f"{prefix}-images-idx3-ubyte.gz")
    (label_count,), labels = read_idx(source / f"{prefix}-labels-idx1-ubyte.gz")
    if label_count != count:
        sys.exit(f"{prefix}: {count} images but {label_count} labels")
    size = rows * cols
    taken = [0] * CLASSES
    keep = []
    for index, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(index)
    if taken != [per_class] * CLASSES:
        sys.exit(f"{prefix}: only {taken} images per class")
    images = b"".join(pixels[i * size : (i + 1) * size] for i in keep)
    write_idx(target / f"{prefix}-images-idx3-ubyte.gz", (len(keep), rows, cols), images)
    write_idx(target / f"{prefix}-labels-idx1-ubyte.gz", (len(keep),), bytes(labels[i] for i in keep))


def main():
    source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
    target = pathlib.Path(__file__).resolve().parent / "fashion-mnist-subset"
    target.mkdir(exist_ok=True)
    subset(source, target, "train", TRAIN_PER_CLASS)
    subset(source, target, "t10k", TEST_PER_CLASS)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
