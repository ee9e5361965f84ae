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
. "$top/selftests/kernel-log.sh"
rm -rf "$work"; mkdir -p "$work/share"
[ $# -eq 0 ] || rm -f "$counts"
p=0 f=0 s=0 n=0
# tier-vm refuses what it cannot build, in one line, before booting
refuses() { # MESSAGE-PART ARG...
	local want=$1 out rc
	shift
	n=$((n + 1))
	out=$("$top/scripts/tier-vm" "$@" -- true 2>&1); rc=$?
	if [ $rc -eq 125 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && [[ $out == "tier-vm: "*"$want"* ]]; then
		echo "ok $n - topology: tier-vm $* refused: $out"; p=$((p + 1))
	else
		echo "not ok $n - topology: tier-vm $* (exit $rc): $out"; f=$((f + 1))
	fi
}
refuses "needs a positive integer" --fast-nodes 0
refuses "at most 3" --fast-nodes 4 --cpus 4
refuses "multiple of it in CPUs" --fast-nodes 2 --cpus 3
refuses "no --fast-host, --slow-host, --balloon-nodes or --fast-nodes" --flat --fast-nodes 2
refuses "needs single or multi" --tcg-thread two
refuses "needs TCG, not --accel kvm" --accel kvm --tcg-thread single
refuses "no --tcg-thread multi" --icount 0 --tcg-thread multi
"$top/scripts/tier-vm" --fast-nodes 2 --cpus 2 --fast 128 --slow 640 --timeout 1200 \
	--share "$work/share" --log "$work/serial.log" -- \
	"$top/selftests/topology-guest.sh" "$work/share/counts"
rc=$?
if [ -s "$work/share/counts" ]; then
	read -r gp gf gs < "$work/share/counts"
	p=$((p + gp)) f=$((f + gf)) s=$((s + gs))
else
	echo "not ok - topology: the VM run did not finish (tier-vm exit $rc)"
	f=$((f + 1))
fi
if kernel_log_warned "$work/serial.log"; then
	echo "not ok - topology: kernel log has warnings ($work/serial.log)"
	kernel_log_excerpt 40 "$work/serial.log"
	f=$((f + 1))
else
	echo "ok - topology: kernel log clean"
	p=$((p + 1))
fi
echo "$p $f $s" > "$counts"
