"""Sets `convtop bench` and `bench_pytorch.py` figures side by side.

    python3 Tests/Reference/compare_bench.py convtop.jsonl pytorch.jsonl

Each figure (GEMM GFLOP/s or images/s) is matched by kind, shape or preset, batch and threads; the
ratio is convtop over PyTorch, so above 1 means convtop is faster.
"""

import json
import sys


def figures(path):
    """{key: (label, value)} for every JSON line of `path`; other lines (build output) are skipped."""
    table = {}
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "images_per_second" in record and "preset" not in record:
                continue  # the loader figure has no PyTorch twin
            if record["kind"] == "gemm":
                key = ("gemm", record["shape"], 0, record["threads"])
                label = f"gemm {record['shape']} GFLOP/s"
                value = record["gflops"]
            else:
                key = (record["kind"], record["preset"], record["batch"], record["threads"])
                label = f"{record['preset']} {record['kind']} batch {record['batch']} img/s"
                value = record["images_per_second"]
            table[key] = (label, value)
    return table


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_bench.py CONVTOP.jsonl PYTORCH.jsonl")
    ours, theirs = figures(sys.argv[1]), figures(sys.argv[2])
    print(f"{'figure':<48} {'threads':>7} {'convtop':>10} {'pytorch':>10} {'ratio':>7}")
    for key, (label, value) in ours.items():
        if key in theirs:
            other = theirs[key][1]
            ratio = f"{value / other:.2f}" if other > 0 else "-"
            print(f"{label:<48} {key[3]:>7} {value:>10.1f} {other:>10.1f} {ratio:>7}")


if __name__ == "__main__":
    main()
