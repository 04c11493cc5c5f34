#!/usr/bin/env python3
"""Time from a key pressed in an attached dashboard to the run's acknowledgement.

Usage: Scripts/key-latency.py CONVTOP RUN_FOLDER [ROUNDS]
Attaches `CONVTOP attach RUN_FOLDER` in a tmux window, and a plain reader to the run's socket.
Presses p (pause or resume) ROUNDS times (default 50) through `tmux send-keys` and prints the
median and worst milliseconds from the key to the `paused` / `resumed` line on the reader: the
dashboard's key handling, its command on the socket, the run applying it at a step boundary and
the event coming back. The run must be going (convtop train --detach). See docs/PROTOCOL.md."""
import json, os, socket, statistics, subprocess, sys, time

convtop, folder = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
server = f"convtop-key-latency-{os.getpid()}"
tmux = ["tmux", "-L", server, "-f", "/dev/null"]
subprocess.run(tmux + ["new-session", "-d", "-s", "keys", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color",
                       "-e", "LANG=C.UTF-8", convtop, "attach", folder], check=True)
try:
    reader = socket.socket(socket.AF_UNIX)
    reader.connect(os.path.join(folder, "control.sock"))
    lines = reader.makefile("rb")
    while json.loads(lines.readline())["type"] != "live":
        pass
    time.sleep(2)  # the dashboard has attached and drawn its first frame
    times = []
    for n in range(rounds):
        start = time.perf_counter()
        subprocess.run(tmux + ["send-keys", "-t", "keys", "p"], check=True)
        while json.loads(lines.readline())["type"] not in ("paused", "resumed"):
            pass
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.5)  # the dashboard has drawn the answer, so that the next p asks the opposite
    print(f"{rounds} keys: median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms")
finally:
    subprocess.run(tmux + ["kill-server"])
