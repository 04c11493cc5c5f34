#!/bin/bash
# Training speed with VIEWERS readers attached to the run socket (0 for none), on the shipped
# Fashion-MNIST subset: Scripts/viewers-overhead.sh 3; alternate with 0 on a quiet machine.
cd "$(dirname "$0")/.." && B=.build/release/convtop
D=$(mktemp -d /tmp/vb.XXXX)
$B train --headless --data Assets/fashion-mnist-subset --model lenet --batch-size 32 --epochs 12 --threads 2 --run-dir $D/run --augment none > $D/out.log 2>&1 &
T=$!
pids=()
for i in $(seq 1 $1); do
  python3 -c "
import socket,sys,time,os
p=sys.argv[1]
while not os.path.exists(p): time.sleep(0.01)
s=socket.socket(socket.AF_UNIX); s.connect(p)
n=0
while True:
    b=s.recv(65536)
    if not b: break
    n+=len(b)
" $D/run/control.sock & pids+=($!)
done
wait $T
for p in "${pids[@]}"; do kill $p 2>/dev/null; done
python3 - $D/run/metrics.jsonl <<'PY'
import json,sys
steps=[json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
last=steps[-1]
print(f"{sum(s['images_per_second'] for s in steps)/len(steps):.0f} img/s mean of step lines, elapsed {last['elapsed']:.2f} s")
PY
rm -rf $D
