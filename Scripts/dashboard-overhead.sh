#!/bin/sh
# Training under the dashboard against headless: the same short run (LeNet, one epoch of
# Fashion-MNIST, a fixed seed) back to back, ROUNDS times, alternating which goes first so that
# load from other processes falls on both alike. The dashboard runs in a 100x30 tmux window.
# For each pair it prints the training seconds (wall clock, from metrics.jsonl's `finished`
# record) and the process's CPU seconds (user + system, from /usr/bin/time), with the ratios.
# On a busy machine the wall-clock ratio is noise; the CPU ratio is the dashboard's own cost.
#
# usage: Scripts/dashboard-overhead.sh [ROUNDS] [more convtop train options]
set -eu
BIN=$(realpath "${BIN:-.build/release/convtop}")
ROUNDS=${1:-3}
[ $# -gt 0 ] && shift
ARGS="--data /usr/share/datasets/fashion-mnist --model lenet --epochs 1 --seed 1 $*"
TMP=$(mktemp -d)
SERVER=convtop-overhead-$$
trap 'tmux -L $SERVER kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

seconds() { grep '"type":"finished"' "$1/metrics.jsonl" | grep -o '"seconds":[0-9.]*' | head -1 | cut -d: -f2; }
cpu() { awk '{ print $1 + $2 }' "$1/cpu"; }

headless() {
    mkdir -p "$1"
    /usr/bin/time -o "$1/cpu" -f '%U %S' $BIN train $ARGS --headless --run-dir "$1" > /dev/null
}
dashboard() {
    mkdir -p "$1"
    tmux -L $SERVER -f /dev/null new-session -d -s run -x 100 -y 30 -e TERM=xterm-256color -e LANG=C.UTF-8 \
        "/usr/bin/time -o $1/cpu.part -f '%U %S' $BIN train $ARGS --run-dir $1; mv $1/cpu.part $1/cpu"
    # `q` quits at once only once the dashboard shows the run finished (before, it asks to confirm).
    until tmux -L $SERVER capture-pane -p -t run | grep -q FINISHED; do sleep 0.2; done
    tmux -L $SERVER send-keys -t run q
    until [ -s "$1/cpu" ]; do sleep 0.2; done
    tmux -L $SERVER kill-server 2>/dev/null || true
}

i=1
while [ $i -le "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 1 ]; then headless "$TMP/h$i"; dashboard "$TMP/d$i"
    else dashboard "$TMP/d$i"; headless "$TMP/h$i"; fi
    awk -v i=$i -v h="$(seconds "$TMP/h$i")" -v d="$(seconds "$TMP/d$i")" -v hc="$(cpu "$TMP/h$i")" -v dc="$(cpu "$TMP/d$i")" \
        'BEGIN { printf "round %d: training s headless %.2f dashboard %.2f (ratio %.3f); CPU s headless %.2f dashboard %.2f (ratio %.3f)\n", i, h, d, d / h, hc, dc, dc / hc }'
    i=$((i + 1))
done
