#!/bin/sh
# Training throughput under the dashboard against headless: the same short run (LeNet, one epoch of
# Fashion-MNIST, a fixed seed) back to back, ROUNDS times, alternating which goes first so that
# load from other processes falls on both alike. The dashboard runs in a 100x30 tmux window.
# Prints each pair's training seconds (from metrics.jsonl's `finished` record) and their ratio.
#
# usage: Scripts/dashboard-overhead.sh [ROUNDS] [more convtop train options]
set -eu
BIN=${BIN:-.build/release/convtop}
ROUNDS=${1:-3}
[ $# -gt 0 ] && shift
ARGS="--data /usr/share/datasets/fashion-mnist --model lenet --epochs 1 --seed 1 $*"
TMP=$(mktemp -d)
SERVER=convtop-overhead-$$
trap 'tmux -L $SERVER kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

seconds() { grep '"type":"finished"' "$1/metrics.jsonl" | grep -o '"seconds":[0-9.]*' | head -1 | cut -d: -f2; }
finished() { grep -q '"type":"finished"' "$1/metrics.jsonl" 2>/dev/null; }

headless() { $BIN train $ARGS --headless --run-dir "$1" > /dev/null; }
dashboard() {
    tmux -L $SERVER -f /dev/null new-session -d -s run -x 100 -y 30 -e TERM=xterm-256color -e LANG=C.UTF-8 \
        "$BIN train $ARGS --run-dir $1"
    until finished "$1"; do sleep 0.5; done
    tmux -L $SERVER kill-server
}

i=1
while [ $i -le "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 1 ]; then headless "$TMP/h$i"; dashboard "$TMP/d$i"
    else dashboard "$TMP/d$i"; headless "$TMP/h$i"; fi
    h=$(seconds "$TMP/h$i"); d=$(seconds "$TMP/d$i")
    awk -v i=$i -v h="$h" -v d="$d" 'BEGIN { printf "round %d: headless %.2f s, dashboard %.2f s, dashboard/headless %.3f\n", i, h, d, d / h }'
    i=$((i + 1))
done
