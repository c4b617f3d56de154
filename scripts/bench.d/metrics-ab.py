#!/usr/bin/env python3
"""Summarises BENCH_METRICS=ab: lines "off <wrk json>" and "on <wrk json>", one pair per
round, on standard input. Prints both series, their medians and the median of the paired
changes (each round's "on" against the "off" just before it).

usage: metrics-ab.py CONNECTIONS"""
import json
import statistics
import sys

rows = {"off": [], "on": []}
for line in sys.stdin:
    mode, result = line.split(" ", 1)
    rows[mode].append(json.loads(result)["rps"])
off, on = rows["off"], rows["on"]
print("metrics off:", [round(x) for x in off])
print("metrics on: ", [round(x) for x in on])
paired = statistics.median(b / a - 1 for a, b in zip(off, on))
print(f"W1 at {sys.argv[1]} connections: median {statistics.median(off):.0f} off, "
      f"{statistics.median(on):.0f} on; median paired change {100 * paired:+.1f}%")
