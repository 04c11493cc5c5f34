"""Compares convtop's image decoding with Pillow's on an image folder.

convtop decodes the folder into its decode cache at --image-size 32 --channels 3; this script
reads that cache file (its layout is documented in Sources/ConvData/Images/ImageCache.swift) and
decodes the same files with Pillow (exif_transpose, convert("RGB")). Files stored at 32x32 are
compared pixel for pixel, before any resizing: PNG must be identical, JPEG is reported as the
largest and mean absolute difference (libjpeg-turbo versions may differ in IDCT and upsampling).
Other sizes go through Pillow's bilinear resize of the shorter side and a centre crop, as
torchvision's Resize + CenterCrop do, and are reported the same way. Skipped files must be the
ones Pillow cannot open either, or in a format convtop does not read (GIF, WebP). 16-bit PNGs
are compared with Pillow's samples shifted right by 8 bits (Pillow's own conversion clips them).

    /root/torchenv/bin/python Tests/Reference/compare_decoding.py .build/release/convtop FOLDER
"""
import os, struct, subprocess, sys, tempfile

import numpy as np
from PIL import Image, ImageOps

EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"}
SIZE = 32


def listing(root):
    """Image files in convtop's order: class folders sorted, then a sorted depth-first walk."""
    def walk(folder, prefix):
        found = []
        for name in sorted(os.listdir(folder)):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            relative = f"{prefix}/{name}"
            if os.path.isdir(path):
                found += walk(path, relative)
            elif name.rsplit(".", 1)[-1].lower() in EXTENSIONS and "." in name:
                found.append(relative)
        return found
    classes = sorted(n for n in os.listdir(root) if not n.startswith(".") and os.path.isdir(os.path.join(root, n)))
    return [f for c in classes for f in walk(os.path.join(root, c), c)]


def read_cache(path):
    data = open(path, "rb").read()
    assert data[:8] == b"CONVTOPI", "not a convtop image cache"
    count, size, channels, metadata_length = struct.unpack_from("<IIIQ", data, 44)
    survey, offset = [], 72
    for _ in range(count):
        width, height, mode = struct.unpack_from("<IIB", data, offset)
        offset += 9
        entry = {"width": width, "height": height, "failure": None}
        if mode == 0:
            (length,) = struct.unpack_from("<H", data, offset)
            entry["failure"] = data[offset + 2:offset + 2 + length].decode()
            offset += 2 + length
        survey.append(entry)
    pixels = np.frombuffer(data, np.uint8, offset=72 + metadata_length).reshape(count, channels, size, size)
    return survey, pixels


def pillow(path):
    image = ImageOps.exif_transpose(Image.open(path))
    if image.mode in ("I;16", "I;16B", "I"):
        # Pillow's convert("RGB") clips 16-bit samples to 255 (a white image); convtop keeps the
        # high byte, which is what the 8-bit version of the same picture holds.
        image = Image.fromarray((np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8), "L")
    image = image.convert("RGB")
    decoded = np.asarray(image)
    width, height = image.size
    if (width, height) != (SIZE, SIZE):
        scale = SIZE / min(width, height)
        new = (SIZE, max(SIZE, int(SIZE * height / width))) if width <= height else (max(SIZE, int(SIZE * width / height)), SIZE)
        image = image.resize(new, Image.BILINEAR)
        left, top = int(round((new[0] - SIZE) / 2)), int(round((new[1] - SIZE) / 2))
        image = image.crop((left, top, left + SIZE, top + SIZE))
    return decoded.shape, np.asarray(image).transpose(2, 0, 1)


def main():
    convtop, folder = sys.argv[1], os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run([convtop, "data", "info", folder, "--image-size", str(SIZE), "--channels", "3", "--thumbnails", "0"],
                       check=True, env={**os.environ, "CONVTOP_CACHE_DIR": cache}, stdout=subprocess.DEVNULL)
        [name] = [n for n in os.listdir(cache) if n.endswith(".images")]
        survey, pixels = read_cache(os.path.join(cache, name))
    files = listing(folder)
    assert len(files) == len(survey), f"{len(files)} files but the cache has {len(survey)}"
    failures = 0
    rows = {}
    for index, (relative, entry) in enumerate(zip(files, survey)):
        try:
            shape, expected = pillow(os.path.join(folder, relative))
        except Exception as error:
            pil_error = str(error).splitlines()[0][:60]
            if entry.get("failure") is None:
                print(f"{relative}: convtop decoded it but Pillow fails ({pil_error})"); failures += 1
            else:
                print(f"{relative}: both skip (convtop: {entry['failure']})")
            continue
        if entry.get("failure") is not None:
            by_design = "not supported" in entry["failure"]
            print(f"{relative}: convtop skips it ({entry['failure']}), Pillow reads it")
            failures += 0 if by_design else 1
            continue
        difference = np.abs(pixels[index].astype(int) - expected.astype(int))
        kind = "PNG" if relative.lower().endswith(".png") else "JPEG"
        kind += " native" if shape[:2] == (SIZE, SIZE) else " resized"
        worst, mean = rows.get(kind, (0, []))
        rows[kind] = (max(worst, int(difference.max())), mean + [difference.mean()])
        if kind == "PNG native" and difference.max() != 0:
            print(f"{relative}: PNG pixels differ (max {difference.max()})"); failures += 1
    for kind, (worst, means) in sorted(rows.items()):
        print(f"{kind:14} {len(means):3} files  max abs difference {worst:3}  mean {np.mean(means):.3f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
