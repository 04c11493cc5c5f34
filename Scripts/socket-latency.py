#!/usr/bin/env python3
"""Time from sending a command on a run's socket to the run's acknowledging event.

Usage: Scripts/socket-latency.py runs/NAME/control.sock [ROUNDS]
Sends pause and resume alternately (ROUNDS commands, default 50) and prints the median and worst
milliseconds until the `paused` / `resumed` line arrives. See docs/PROTOCOL.md."""
import json, socket, statistics, sys, time

path, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50
connection = socket.socket(socket.AF_UNIX)
connection.connect(path)
lines = connection.makefile("rb")
while json.loads(lines.readline())["type"] != "live":
    pass
times = []
for n in range(rounds):
    command, answer = ("pause", "paused") if n % 2 == 0 else ("resume", "resumed")
    start = time.perf_counter()
    connection.sendall(json.dumps({"v": 1, "type": command}).encode() + b"\n")
    while json.loads(lines.readline())["type"] != answer:
        pass
    times.append((time.perf_counter() - start) * 1000)
print(f"{rounds} commands: median {statistics.median(times):.2f} ms, worst {max(times):.2f} ms")
