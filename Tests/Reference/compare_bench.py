"""Sets `convtop bench` and `bench_pytorch.py` figures side by side, over one or more rounds.

    python3 Tests/Reference/compare_bench.py CONVTOP.jsonl PYTORCH.jsonl [CONVTOP.jsonl PYTORCH.jsonl ...]

Each figure (GEMM GFLOP/s or images/s) is matched by kind, shape or preset, batch and threads. For
each figure it prints convtop's and PyTorch's median over the rounds, the median of the per-round
ratios (convtop over PyTorch, so above 1 means convtop is faster) and their range.
"""

import json
import sys
from statistics import median


def figures(path):
    """{key: (label, value)} for every JSON line of `path`; other lines (build output) are skipped."""
    table = {}
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if record["kind"] in ("loader", "layer"):
                continue  # no PyTorch twin
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
    paths = sys.argv[1:]
    if len(paths) < 2 or len(paths) % 2:
        sys.exit("usage: compare_bench.py CONVTOP.jsonl PYTORCH.jsonl [CONVTOP.jsonl PYTORCH.jsonl ...]")
    rounds = [(figures(ours), figures(theirs)) for ours, theirs in zip(paths[0::2], paths[1::2])]
    print(f"{'figure':<48} {'threads':>7} {'convtop':>10} {'pytorch':>10} {'ratio':>7} {'range':>11}")
    for key, (label, _) in rounds[0][0].items():
        pairs = [(ours[key][1], theirs[key][1]) for ours, theirs in rounds
                 if key in ours and key in theirs and theirs[key][1] > 0]
        if not pairs:
            continue
        ratios = [a / b for a, b in pairs]
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        print(f"{label:<48} {key[3]:>7} {median(a for a, _ in pairs):>10.1f} {median(b for _, b in pairs):>10.1f} "
              f"{median(ratios):>7.2f} {spread:>11}")


if __name__ == "__main__":
    main()
