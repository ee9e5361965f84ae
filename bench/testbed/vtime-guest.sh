#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest, for vtime.sh. Under -icount with the tier_access model:
#  1. gups (uniform random updates, 64 MiB) with 0, 25, 50, 75 and 100% of
#     its table first-touched on the slow node, pinned to CPU 0 (static
#     placement, no tiering). Each run's timed phase is marked in
#     OUT/gups.SHARE/{start,end} (host-time mtimes, to find the plugin's
#     windows) and its result line is OUT/gups.SHARE/out.
#  2. work on two vCPUs: dd copying 512 MiB of /dev/zero to /dev/null
#     (kernel work: clear_user) alone on CPU 1, then two such dd at once on
#     CPUs 0 and 1, three rounds; the copy times dd reports (its own clock
#     around the copy, no I/O inside) in OUT/busy/{alone,both}, a line per
#     round. Three, because other work that lands on a vCPU meanwhile
#     (timing that depends on the host: 9p I/O completions) adds to a round:
#     vtime.sh takes the least disturbed.
#   vtime-guest.sh OUT
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
sysctl -qw kernel.numa_balancing=0
gups() { taskset -c 0 "$top/build/bin/gups" -m 64 -h 0 -n 2 "$@"; }
gups -s 0 > /dev/null		# warm up: page cache, binaries, slab
for s in 0 25 50 75 100; do
	mkdir -p "$out/gups.$s"
	gups -s "$s" -r "$out/gups.$s" > "$out/gups.$s/out"
done
mkdir -p "$out/busy"
dd() {	# dd CPU: the copy's seconds, as dd reports them
	taskset -c "$1" dd if=/dev/zero of=/dev/null bs=64k count=8192 2>&1 |
		sed -n 's/.* copied, \([0-9.]*\) s, .*/\1/p'
}
for _ in 1 2 3; do
	dd 1 | tr '\n' ' '; echo
done > "$out/busy/alone"
for _ in 1 2 3; do
	{ dd 0 & dd 1; wait; } | tr '\n' ' '; echo
done > "$out/busy/both"
