#!/usr/bin/env python3
"""Allreduce time per step and its share of the step, for every preset at 2 ranks on this machine.

Trains one epoch of the shipped Fashion-MNIST subset (47 steps of 128) under
`mpirun -np 2 --oversubscribe`, one engine thread per rank, and reads the headless log (the
communication time of every step, `--log-every 1`) and the journal (the epoch's seconds). Steps 1-5
are left out of the mean: they include the ranks' start-up skew.

    Scripts/mpi-allreduce-share.py [.build/release/convtop] [extra train options, e.g. --sync-bn]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/convtop"
extra = sys.argv[2:]
presets = ["lenet", "convnet5", "resnet6", "resnet9small", "resnet9"]
print("load average before:", open("/proc/loadavg").read().split()[:3])
print("| preset | parameters | step ms | allreduce ms (steps 6-47) | share |")
print("|---|---|---|---|---|")
for preset in presets:
    folder = tempfile.mkdtemp(prefix="convtop-share-")
    run = os.path.join(folder, "run")
    output = subprocess.run(
        ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", binary, "train",
         "--data", "Assets/fashion-mnist-subset", "--model", preset, "--batch-size", "128",
         "--until-epoch", "1", "--threads", "1", "--headless", "--log-every", "1", "--run-dir", run] + extra,
        capture_output=True, text=True, check=True).stdout
    times = [float(m) for m in re.findall(r"allreduce ([0-9.]+) ms", output)][5:]
    records = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
    started = next(r for r in records if r["type"] == "started")
    epoch = next(r for r in records if r["type"] == "epoch")
    step_ms = epoch["seconds"] / epoch["step"] * 1000
    allreduce = sum(times) / len(times)
    shutil.rmtree(folder)
    print(f"| {preset} | {started['parameter_count']:,} | {step_ms:.1f} | {allreduce:.2f} | {allreduce / step_ms:.1%} |")
print("load average after:", open("/proc/loadavg").read().split()[:3])
