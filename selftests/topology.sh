#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a VM with two fast nodes (a socket each, with the CPUs) and one slow
# node, as a two-socket host with CXL memory (tier-vm --fast-nodes 2), and
# run selftests/topology-guest.sh in it.
#   topology.sh COUNTS-FILE     writes "PASS FAIL SKIP" to COUNTS-FILE
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
counts=${1:-/dev/null}
work=$top/build/vm/topology
rm -rf "$work"; mkdir -p "$work/share"
[ $# -eq 0 ] || rm -f "$counts"
"$top/scripts/tier-vm" --fast-nodes 2 --cpus 2 --fast 128 --slow 640 --timeout 1200 \
	--share "$work/share" --log "$work/serial.log" -- \
	"$top/selftests/topology-guest.sh" "$work/share/counts"
rc=$?
if [ -s "$work/share/counts" ]; then
	read -r p f s < "$work/share/counts"
else
	echo "not ok - topology: the VM run did not finish (tier-vm exit $rc)"
	p=0 f=1 s=0
fi
if grep -qE 'BUG:|WARNING:|Oops|Call Trace|Kernel panic' "$work/serial.log"; then
	echo "not ok - topology: kernel log has warnings ($work/serial.log)"
	grep -E -A5 'BUG:|WARNING:|Oops|Kernel panic' "$work/serial.log" | head -n 40
	f=$((f + 1))
else
	echo "ok - topology: kernel log clean"
	p=$((p + 1))
fi
echo "$p $f $s" > "$counts"
