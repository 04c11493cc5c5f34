#!/usr/bin/env python3
"""A model of data-parallel step time against nodes for every preset (docs/SCALING.md).

Measures one process's training rate R (images/s, one epoch of the shipped Fashion-MNIST subset
on all cores) and the gradient size S (4 bytes a parameter), then models a global batch B on N
nodes as compute B/(N R) plus a ring allreduce, 2 (N-1)/N S / bandwidth + 2 (N-1) latency, at
10 and 100 Gbit/s with 50 us a hop. Prints, per preset, the speed-up at B = 128 for 2 to 64 nodes
the node count after which more nodes make a step of 128 slower, and b*, the per-node batch at
which a node on 64 nodes spends as long communicating as computing (the batch needs 64 b* images
for half efficiency there).

    Scripts/mpi-scaling-model.py [.build/release/convtop]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/convtop"
presets = ["lenet", "convnet5", "resnet6", "resnet9small", "resnet9"]
nodes = [2, 4, 8, 16, 32, 64]
latency = 50e-6
batch = 128


def allreduce(n, size, bandwidth):
    return 2 * (n - 1) / n * size * 8 / bandwidth + 2 * (n - 1) * latency


print("load average before:", open("/proc/loadavg").read().split()[:3])
counts = " / ".join(f"{n}" for n in nodes)
print(f"| preset | R img/s | S | speed-up at B=128, 10 Gbit/s, on {counts} nodes | stops scaling at B=128 after "
      "| b* at 64 nodes, 10 / 100 Gbit/s |")
print("|---|---|---|---|---|---|")
for preset in presets:
    folder = tempfile.mkdtemp(prefix="convtop-model-")
    run = os.path.join(folder, "run")
    subprocess.run(
        [binary, "train", "--data", "Assets/fashion-mnist-subset", "--model", preset, "--batch-size", str(batch),
         "--until-epoch", "1", "--headless", "--run-dir", run], capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
    started = next(r for r in records if r["type"] == "started")
    epoch = next(r for r in records if r["type"] == "epoch")
    shutil.rmtree(folder)
    rate = started["train_count"] / epoch["seconds"]
    size = 4 * started["parameter_count"]
    single = batch / rate
    speedups = [single / (batch / (n * rate) + allreduce(n, size, 10e9)) for n in nodes]
    limits = [rate * allreduce(64, size, bandwidth) for bandwidth in (10e9, 100e9)]
    best = nodes[speedups.index(max(speedups))]
    peak = f"{best} nodes" if best < nodes[-1] else f"more than {nodes[-1]} nodes"
    print(f"| {preset} | {rate:,.0f} | {size / 1e3:,.0f} kB | " + " / ".join(f"{s:.1f}x" for s in speedups)
          + f" | {peak} | {limits[0]:.1f} / {limits[1]:.1f} |")
print("load average after:", open("/proc/loadavg").read().split()[:3])
