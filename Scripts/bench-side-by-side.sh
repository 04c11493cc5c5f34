#!/usr/bin/env bash
# Runs `convtop bench ARGS...` (once in fp32 and once in bf16) and its PyTorch twin
# (Tests/Reference/bench_pytorch.py: default, channels-last and bf16-autocast configurations) ROUNDS
# times, alternating which goes first so that drifts in the machine's speed hit both alike, then
# prints each figure's medians side by side with the median ratios against PyTorch's default and
# best configurations (Tests/Reference/compare_bench.py).
#
#   Scripts/bench-side-by-side.sh CONVTOP PYTHON ROUNDS OUT_DIR [convtop bench arguments...]
#
# Without torch in PYTHON only convtop's figures are printed. `make bench` calls this.
set -euo pipefail
bin=$1 python=$2 rounds=$3 out=$4
shift 4
mkdir -p "$out"
rm -f "$out"/convtop.*.jsonl "$out"/pytorch.*.jsonl
if ! "$python" -c "import torch" 2>/dev/null; then
    echo "$python cannot import torch: PyTorch comparison skipped (try PYTHON=/root/torchenv/bin/python)"
    "$bin" bench "$@"
    exit 0
fi
ours() {
    for precision in fp32 bf16; do "$bin" bench --precision "$precision" "$@"; done > "$out/convtop.$round.jsonl"
}
theirs() { "$python" Tests/Reference/bench_pytorch.py "$@" > "$out/pytorch.$round.jsonl"; }
pairs=()
for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then ours "$@"; theirs "$@"; else theirs "$@"; ours "$@"; fi
    echo "round $round of $rounds measured" >&2
    pairs+=("$out/convtop.$round.jsonl" "$out/pytorch.$round.jsonl")
done
"$python" Tests/Reference/compare_bench.py "${pairs[@]}"
