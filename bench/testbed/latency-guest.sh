#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest, for latency.sh: uniform random updates of a 128 MiB table
# whose first SHARE% is placed on the slow node, for each share in turn
# (no tiering: static placement). Each run's timed phase is marked in
# OUT/SHARE.RUN/{start,end}; its result line goes to OUT/SHARE.RUN/out.
#   latency-guest.sh OUT RUNS SHARE...
set -eu
out=$1 runs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
sysctl -qw kernel.numa_balancing=0
for ((r = 1; r <= runs; r++)); do
	for s in "$@"; do
		d=$out/$s.$r
		mkdir -p "$d"
		echo "latency: run $r, slow share $s%" >&2
		"$top/build/bin/gups" -m 128 -h 0 -n 4 -s "$s" -r "$d" > "$d/out"
	done
done
