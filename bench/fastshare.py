#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per cell of a bench/results run: the share of the workload's random
(not streamed) cache misses that the fast node served in the timed phase.

The testbed's report counts accesses, where streamed lines (a scan, a page
copy) weigh as much as the misses that cost latency. This separates them,
from the windows of each cell's access.csv inside its phase (phases.csv):
the plugin charges r * (fast_ns f + slow_ns (1 - f)) + s * c for r random
and s streamed misses, c the line's transfer time (5 ns fast, 10 ns slow),
so f, the fast-served share of random misses, lies in the range printed
(c = 5 and c = 10). Defaults: the suite's 69 and 177 ns.
  fastshare.py RESULTS_DIR [--fast-ns 69] [--slow-ns 177]
"""
import argparse
import csv
import glob
import os


def cell_f(d, t0, t1, fast, slow):
    r = s = mem = 0.0
    with open(os.path.join(d, "access.csv")) as fh:
        for row in csv.DictReader(fh):
            if t0 <= float(row["unix_s"]) <= t1:
                r += int(row["misses"]) - int(row["stream_misses"])
                s += int(row["stream_misses"])
                mem += float(row["mem_ms"])
    if r <= 0:
        return None
    fs = [(slow - (mem * 1e6 - s * c) / r) / (slow - fast) for c in (5.0, 10.0)]
    return min(fs), max(fs), r, s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--fast-ns", type=float, default=69)
    ap.add_argument("--slow-ns", type=float, default=177)
    a = ap.parse_args()
    rows = []
    for v in sorted(glob.glob(os.path.join(a.dir, "v[0-9]*"))):
        if not os.path.exists(os.path.join(v, "phases.csv")):
            continue
        with open(os.path.join(v, "phases.csv")) as fh:
            for p in csv.DictReader(fh):
                d = os.path.join(v, "%s.%s.%s" % (p["workload"], p["contender"], p["seed"]))
                if os.path.exists(os.path.join(d, "access.csv")):
                    f = cell_f(d, float(p["start_unix"]), float(p["end_unix"]), a.fast_ns, a.slow_ns)
                    if f:
                        rows.append((p["workload"], p["contender"], p["seed"], f))
    print("workload,contender,seed,fast_random_lo,fast_random_hi,random_misses,streamed_misses")
    for w, c, sd, (lo, hi, r, s) in sorted(rows):
        print("%s,%s,%s,%.3f,%.3f,%d,%d" % (w, c, sd, lo, hi, r, s))


if __name__ == "__main__":
    main()
