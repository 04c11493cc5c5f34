"""Sets `convtop bench` and `bench_pytorch.py` figures side by side, over one or more rounds.

    python3 Tests/Reference/compare_bench.py CONVTOP.jsonl PYTORCH.jsonl [CONVTOP.jsonl PYTORCH.jsonl ...]

A CONVTOP file may hold the figures of several `convtop bench --precision` runs, and a PYTORCH file
those of several configurations (bench_pytorch.py `--config`; GEMMs in fp32 and bf16). Each convtop
figure (GEMM GFLOP/s or images/s, by kind, shape or preset, batch, threads and precision) is set
against three PyTorch figures of the same kind, shape or preset, batch and threads: PyTorch's default
(fp32 NCHW, or torch.mm in fp32), PyTorch's best in the same precision and PyTorch's best overall,
"best" being the configuration fastest in the median over the rounds. Ratios are convtop over
PyTorch (above 1 means convtop is faster), the median of the per-round ratios; the range is that of
the ratio against the best overall.
"""

import json
import sys
from statistics import median

DEFAULT_CONFIG = "nchw-fp32"


def figures(path):
    """{(kind, what, batch, threads, precision, config): value} for every JSON line of `path`.

    Other lines (build output) are skipped; convtop's lines have no config (None), its loader and
    layer figures have no PyTorch twin.
    """
    table = {}
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if record["kind"] in ("loader", "layer"):
                continue
            precision = record.get("precision", "fp32")
            if record["kind"] == "gemm":
                key = ("gemm", record["shape"], 0, record["threads"], precision, None)
                value = record["gflops"]
            else:
                config = record.get("config", DEFAULT_CONFIG if "pytorch" in record.get("kernel", "") else None)
                key = (record["kind"], record["preset"], record["batch"], record["threads"], precision, config)
                value = record["images_per_second"]
            table[key] = value
    return table


def label(key):
    kind, what, batch, _, precision, _ = key
    if kind == "gemm":
        return f"gemm {what} {precision} GFLOP/s"
    return f"{what} {kind} batch {batch} {precision} img/s"


def main():
    paths = sys.argv[1:]
    if len(paths) < 2 or len(paths) % 2:
        sys.exit("usage: compare_bench.py CONVTOP.jsonl PYTORCH.jsonl [CONVTOP.jsonl PYTORCH.jsonl ...]")
    rounds = [(figures(ours), figures(theirs)) for ours, theirs in zip(paths[0::2], paths[1::2])]
    print(f"{'figure':<44} {'thr':>3} {'convtop':>9} {'vs default':>10} {'vs same':>8} {'vs best':>8} "
          f"{'best (config, value)':<34} {'range':>10}")
    for key in rounds[0][0]:
        ours = [mine.get(key) for mine, _ in rounds]
        # Every PyTorch configuration measured in all rounds for this figure: (precision, config) -> values.
        theirs = {}
        for candidate in {k[4:] for _, table in rounds for k in table if k[:4] == key[:4]}:
            series = [table.get((*key[:4], *candidate)) for _, table in rounds]
            if all(series):
                theirs[candidate] = series
        if not theirs or not all(ours):
            continue
        fastest = max(theirs, key=lambda candidate: median(theirs[candidate]))
        same = [c for c in theirs if c[0] == key[4]]
        default = ("fp32", None if key[0] == "gemm" else DEFAULT_CONFIG)

        def ratio(candidate):
            if candidate not in theirs:
                return "-"
            return f"{median(a / b for a, b in zip(ours, theirs[candidate])):.2f}"

        best_same = max(same, key=lambda candidate: median(theirs[candidate])) if same else None
        best_ratios = [a / b for a, b in zip(ours, theirs[fastest])]
        best_text = f"{fastest[1] or 'torch.mm'} {fastest[0]} {median(theirs[fastest]):.1f}"
        print(f"{label(key):<44} {key[3]:>3} {median(ours):>9.1f} {ratio(default):>10} {ratio(best_same):>8} "
              f"{ratio(fastest):>8} {best_text:<34} {min(best_ratios):.2f}-{max(best_ratios):.2f}")


if __name__ == "__main__":
    main()
