#!/bin/sh
# Training under the dashboard against headless, on a machine that others share.
#
# The same short run (LeNet, one epoch of Fashion-MNIST, a fixed seed) PAIRS times headless and
# under the dashboard (in a 100x30 tmux window), the two runs of a pair back to back and the order
# alternating, so that load from other processes falls on both alike. Each run gives three figures:
#   train s   training time without pauses (metrics.jsonl's `finished` record; includes the
#             end-of-epoch evaluation, the same in both)
#   CPU s     the process's user + system CPU seconds (/usr/bin/time): the dashboard's own work
#             shows here even when the machine is busy, as other processes' time is not counted
#   img/s     the median of the run's training-rate windows (metrics.jsonl `step` records): the
#             rate at which the model trains, evaluation and pauses excluded; a median ignores
#             the windows in which another process took the cores
# Per pair it prints each figure and its ratio (dashboard / headless for seconds, headless /
# dashboard for img/s, so above 1 always means the dashboard costs); at the end the median of the
# per-pair ratios and their spread (lowest to highest), with `uptime` before and after.
#
# usage: Scripts/dashboard-overhead.sh [PAIRS] [more convtop train options]
set -eu
BIN=$(realpath "${BIN:-.build/release/convtop}")
PAIRS=${1:-6}
[ $# -gt 0 ] && shift
ARGS="--data /usr/share/datasets/fashion-mnist --model lenet --epochs 1 --seed 1 $*"
TMP=$(mktemp -d)
SERVER=convtop-overhead-$$
trap 'tmux -L $SERVER kill-server 2>/dev/null || true; rm -rf "$TMP"' EXIT

seconds() { grep '"type":"finished"' "$1/metrics.jsonl" | grep -o '"seconds":[0-9.]*' | head -1 | cut -d: -f2; }
cpu() { awk '{ print $1 + $2 }' "$1/cpu"; }
rate() {
    grep '"type":"step"' "$1/metrics.jsonl" | grep -o '"images_per_second":[0-9.]*' | cut -d: -f2 \
        | awk '$1 > 0' | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Both kinds run in a tmux session of their own: with the kernel's autogroup scheduling every
# session shares the CPU as one group, so a headless run started from this script's session would
# compete with whatever else that session runs (a build) while the dashboard's would not.
start() {
    mkdir -p "$1"
    tmux -L $SERVER -f /dev/null new-session -d -s run -x 100 -y 30 -e TERM=xterm-256color -e LANG=C.UTF-8 \
        "/usr/bin/time -o $1/cpu.part -f '%U %S' $BIN train $ARGS --run-dir $1 $2; mv $1/cpu.part $1/cpu"
}
finish() {
    until [ -s "$1/cpu" ]; do sleep 0.2; done
    tmux -L $SERVER kill-server 2>/dev/null || true
}
headless() {
    start "$1" "--headless > /dev/null"
    finish "$1"
}
dashboard() {
    start "$1" ""
    # `q` quits at once only once the dashboard shows the run finished (before, it asks to confirm).
    until tmux -L $SERVER capture-pane -p -t run | grep -q FINISHED; do sleep 0.2; done
    tmux -L $SERVER send-keys -t run q
    finish "$1"
}

echo "before: $(uptime)"
i=1
while [ "$i" -le "$PAIRS" ]; do
    if [ $((i % 2)) -eq 1 ]; then headless "$TMP/h$i"; dashboard "$TMP/d$i"
    else dashboard "$TMP/d$i"; headless "$TMP/h$i"; fi
    awk -v i="$i" -v h="$(seconds "$TMP/h$i")" -v d="$(seconds "$TMP/d$i")" \
        -v hc="$(cpu "$TMP/h$i")" -v dc="$(cpu "$TMP/d$i")" -v hr="$(rate "$TMP/h$i")" -v dr="$(rate "$TMP/d$i")" \
        'BEGIN { printf "pair %d: train s %.2f headless %.2f dashboard (%.3f)  CPU s %.2f / %.2f (%.3f)  img/s %.0f / %.0f (%.3f)\n",
                 i, h, d, d / h, hc, dc, dc / hc, hr, dr, hr / dr }' | tee -a "$TMP/pairs"
    i=$((i + 1))
done
echo "after: $(uptime)"
# Median and range of each ratio column (the numbers in parentheses) over the pairs.
for column in 1 2 3; do
    sed 's/[^(]*(\([0-9.]*\))/\1 /g' "$TMP/pairs" | awk -v c=$column '{ print $c }' | sort -n \
        | awk -v name="$(echo 'train-time CPU-time img/s' | cut -d' ' -f$column)" \
            '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                  printf "%-10s ratio over %d pairs: median %.3f, range %.3f to %.3f\n", name, NR, m, v[1], v[NR] }'
done
