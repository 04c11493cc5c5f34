"""PyTorch twin of `convtop bench`: the same figures, measured the same way, as the same JSON lines.

    /root/torchenv/bin/python Tests/Reference/bench_pytorch.py [--preset P ...] [--batch B ...]
        [--threads T ...] [--seconds S] [--only gemm|models ...] [--config C ...]

GEMM GFLOP/s for convtop's representative shapes (torch.mm on the same operand layouts, fp32 and
bf16), then for every preset (PyTorch twins from make_reference.py, 3x32x32 inputs, 10 classes),
batch size and configuration: training images/s (forward, cross-entropy, backward, SGD step with
momentum) and inference images/s (eval mode, no autograd). The configurations are PyTorch's default
(`nchw-fp32`) and what its CPU tuning guides recommend: `channels-last-fp32` (model and input in
`torch.channels_last`) and `channels-last-bf16` (the same under `torch.autocast("cpu",
dtype=torch.bfloat16)`: bf16 products, fp32 weights and optimizer). Every figure is the median of five timed rounds of
seconds/5 after one warm-up round, as in convtop's Benchmark.stepsPerSecond. convtop's `loader`
figure has no twin here (`--only loader` prints nothing).
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import PRESETS  # noqa: E402

# (name, m, n, k, transA, transB), as GEMMBenchmark.representative in Sources/ConvEngine.
GEMM_SHAPES = [
    ("lenet.conv1.forward", 6, 784, 75, False, False),
    ("lenet.conv1.weight_grad", 6, 75, 784, False, True),
    ("lenet.conv2.forward", 16, 100, 150, False, False),
    ("lenet.conv2.weight_grad", 16, 150, 100, False, True),
    ("lenet.conv2.input_grad", 150, 100, 16, True, False),
    ("convnet5.conv2.forward", 32, 1024, 288, False, False),
    ("convnet5.conv4.forward", 64, 256, 576, False, False),
    ("convnet5.conv4.weight_grad", 64, 576, 256, False, True),
    ("convnet5.conv4.input_grad", 576, 256, 64, True, False),
    ("square.1024", 1024, 1024, 1024, False, False),
]
BATCHES = [4, 32, 128]
KERNEL = f"pytorch {torch.__version__} {torch.backends.cpu.get_cpu_capability()}"
# name: (memory format, autocast dtype or None)
CONFIGS = {
    "nchw-fp32": (torch.contiguous_format, None),
    "channels-last-fp32": (torch.channels_last, None),
    "channels-last-bf16": (torch.channels_last, torch.bfloat16),
}


def steps_per_second(seconds, step):
    """One warm-up round, then the median rate of five rounds of seconds/5 each."""
    duration = max(seconds / 5, 0.01)

    def timed_round():
        start = time.perf_counter()
        steps = 0
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= duration:
                return steps / elapsed

    timed_round()
    return statistics.median(timed_round() for _ in range(5))


def emit(record):
    print(json.dumps(record, separators=(",", ":")), flush=True)


def gemm_record(shape, threads, seconds, dtype):
    name, m, n, k, trans_a, trans_b = shape
    a = (torch.rand(k, m).t() if trans_a else torch.rand(m, k)).to(dtype)
    b = (torch.rand(n, k).t() if trans_b else torch.rand(k, n)).to(dtype)
    c = torch.empty(m, n, dtype=dtype)
    rate = steps_per_second(seconds, lambda: torch.mm(a, b, out=c))
    precision = "bf16" if dtype == torch.bfloat16 else "fp32"
    return {"kind": "gemm", "shape": name, "m": m, "n": n, "k": k, "transA": trans_a, "transB": trans_b,
            "threads": threads, "gflops": round(rate * 2 * m * n * k / 1e9, 1), "kernel": KERNEL,
            "precision": precision}


def model_records(preset, batch, threads, seconds, shape, config):
    torch.manual_seed(0)
    memory_format, autocast_dtype = CONFIGS[config]
    channels, height, width = shape
    model = PRESETS[preset](channels, height, 10).to(memory_format=memory_format)
    x = torch.randn(batch, channels, height, width).to(memory_format=memory_format)
    labels = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def autocast():
        return torch.autocast("cpu", dtype=autocast_dtype, enabled=autocast_dtype is not None)

    def train_step():
        optimizer.zero_grad(set_to_none=False)
        with autocast():
            loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    def inference_step():
        with torch.no_grad(), autocast():
            model(x)

    model.train()
    train = steps_per_second(seconds, train_step) * batch
    model.eval()
    inference = steps_per_second(seconds, inference_step) * batch
    for kind, rate in (("train", train), ("inference", inference)):
        yield {"preset": preset, "kind": kind, "batch": batch, "threads": threads,
               "images_per_second": round(rate, 1), "kernel": KERNEL, "config": config,
               "precision": "bf16" if autocast_dtype is not None else "fp32"}


def image_shape(text):
    try:
        channels, height, width = (int(size) for size in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not CxHxW: {text!r}")
    if min(channels, height, width) < 1 or height != width:
        raise argparse.ArgumentTypeError(f"need positive sizes and a square image: {text!r}")
    return channels, height, width


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", nargs="+", choices=sorted(PRESETS), default=list(PRESETS))
    parser.add_argument("--batch", nargs="+", type=int, default=BATCHES)
    parser.add_argument("--threads", nargs="+", type=int, default=sorted({1, os.cpu_count() or 1}))
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--input", type=image_shape, default=(3, 32, 32), metavar="CxHxW",
                        help="image shape for the models figures (square images: the presets take one size)")
    parser.add_argument("--only", nargs="+", choices=["gemm", "models", "loader", "layers"], default=["gemm", "models"])
    parser.add_argument("--config", nargs="+", choices=list(CONFIGS), default=list(CONFIGS),
                        help="PyTorch configurations for the models figures (default: all)")
    args = parser.parse_args()
    for threads in args.threads:
        torch.set_num_threads(threads)
        if "gemm" in args.only:
            for dtype in (torch.float32, torch.bfloat16):
                for shape in GEMM_SHAPES:
                    emit(gemm_record(shape, threads, args.seconds, dtype))
        for preset in args.preset if "models" in args.only else []:
            for batch in args.batch:
                for config in args.config:
                    for record in model_records(preset, batch, threads, args.seconds, args.input, config):
                        emit(record)


if __name__ == "__main__":
    main()
