#!/bin/sh
# Training speed with VIEWERS `convtop attach` dashboards on the run against none, on a machine
# that others share.
#
# The same short detached run (by default LeNet on the shipped Fashion-MNIST subset, a fixed seed,
# one thread; MODEL, BATCH and THREADS change the net, the batch and the threads)
# ROUNDS times with the dashboards (each in a 100x30 tmux window, attached as soon as the socket is
# there) and ROUNDS times without, the two runs of a round back to back and the order alternating,
# so that load from other processes falls on both alike. A run's figure is the median of its
# training-rate windows (metrics.jsonl `step` records), which ignores the windows in which another
# process took the core. Prints each round, the median of the per-round ratios (without / with, so
# above 1 means the viewers cost) and their spread, with `uptime` before and after.
#
# usage: [EPOCHS=12] [MODEL=lenet] [BATCH=32] [THREADS=1] Scripts/attached-overhead.sh [ROUNDS] [VIEWERS]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${BIN:-.build/release/convtop}")
ROUNDS=${1:-4}
VIEWERS=${2:-3}
EPOCHS=${EPOCHS:-12}
MODEL=${MODEL:-lenet}
BATCH=${BATCH:-32}
THREADS=${THREADS:-1}
TMP=$(mktemp -d)
SERVER=convtop-attached-$$
trap 'tmux -L $SERVER kill-server 2>/dev/null || true; rm -rf "$TMP"' EXIT

rate() {
    python3 - "$1/metrics.jsonl" <<'PY'
import json, statistics, sys
rates = [json.loads(l)["images_per_second"] for l in open(sys.argv[1]) if '"type":"step"' in l]
print(f"{statistics.median(rates):.0f}")
PY
}

# run FOLDER VIEWERS: one run to its end, with VIEWERS dashboards attached; prints its img/s.
run() {
    "$BIN" train --detach --data Assets/fashion-mnist-subset --model "$MODEL" --batch-size "$BATCH" \
        --epochs "$EPOCHS" --threads "$THREADS" --seed 1 --augment none --run-dir "$1" >/dev/null
    i=0
    while [ "$i" -lt "$2" ]; do
        while [ ! -S "$1/control.sock" ]; do sleep 0.02; done
        tmux -L "$SERVER" -f /dev/null new-session -d -x 100 -y 30 -e TERM=xterm-256color -e LANG=C.UTF-8 \
            "$BIN" attach "$1"
        i=$((i + 1))
    done
    until grep -q '"type":"finished"' "$1/metrics.jsonl" 2>/dev/null; do sleep 0.1; done
    tmux -L "$SERVER" kill-server 2>/dev/null || true
    rate "$1"
}

echo "before: $(uptime)"
ratios=""
n=1
while [ "$n" -le "$ROUNDS" ]; do
    if [ $((n % 2)) -eq 1 ]; then
        with=$(run "$TMP/with-$n" "$VIEWERS")
        without=$(run "$TMP/without-$n" 0)
    else
        without=$(run "$TMP/without-$n" 0)
        with=$(run "$TMP/with-$n" "$VIEWERS")
    fi
    ratio=$(python3 -c "print(f'{$without / $with:.3f}')")
    echo "round $n: $without img/s without viewers, $with img/s with $VIEWERS; ratio $ratio"
    ratios="$ratios $ratio"
    n=$((n + 1))
done
python3 -c "
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print(f'median ratio {statistics.median(r):.3f} (from {r[0]:.3f} to {r[-1]:.3f})')
" $ratios
echo "after: $(uptime)"
